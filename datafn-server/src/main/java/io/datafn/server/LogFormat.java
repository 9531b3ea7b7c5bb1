package io.datafn.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import io.datafn.router.Router;
import net.logstash.logback.encoder.LogstashEncoder;
import org.slf4j.LoggerFactory;

import java.util.Iterator;
import java.util.Locale;

/**
 * {@code --log-format}: {@code text} (logback.xml's pattern) or {@code json}, one JSON object per line from the
 * logstash-logback-encoder: {@code @timestamp}, {@code level}, {@code logger_name}, {@code message}, the MDC
 * ({@code requestId}) and an event's key-value pairs as fields (the access log's {@code namespace}, {@code method},
 * {@code route}, {@code status}, {@code ms}).
 */
enum LogFormat {
    TEXT, JSON;

    static LogFormat parse(String value) {
        for (LogFormat f : values()) {
            if (f.name().toLowerCase(Locale.ROOT).equals(value)) {
                return f;
            }
        }
        throw new IllegalArgumentException("log-format must be text or json, got '" + value + "'");
    }

    /** {@code --access-log}: off sets the access logger ({@link Router#ACCESS_LOGGER}) to OFF; on leaves it as configured. */
    static void accessLog(boolean on) {
        if (!on && LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx) {
            ctx.getLogger(Router.ACCESS_LOGGER).setLevel(Level.OFF);
        }
    }

    /**
     * Gives every console/file appender of the root logger this format; {@code text} leaves logback.xml's pattern as
     * it is. Called once at start-up, before the server logs anything.
     */
    void apply() {
        if (this == TEXT || !(LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx)) {
            return;
        }
        Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext(); ) {
            if (it.next() instanceof OutputStreamAppender<ILoggingEvent> out) {
                LogstashEncoder json = new LogstashEncoder();
                json.setContext(ctx);
                json.start();
                out.stop();
                out.setEncoder(json);
                out.start();
            }
        }
    }
}
