package io.datafn.example;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

import java.util.Map;

/**
 * A Spring Boot application that serves DataFn next to its own Spring MVC controllers: the starter
 * (datafn-spring-boot-starter) does the wiring from application.properties and the application's DataSource.
 */
@SpringBootApplication
public class ExampleApplication {
    public static void main(String[] args) {
        SpringApplication.run(ExampleApplication.class, args);
    }

    /** The application's own endpoint, served by Spring MVC beside DataFn's servlet. */
    @RestController
    static class Hello {
        @GetMapping("/hello")
        Map<String, String> hello() {
            return Map.of("hello", "world");
        }
    }
}
