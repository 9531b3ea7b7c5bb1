package io.datafn.router;

import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/**
 * How many requests a namespace may make per window: one default for every action and optional overrides per action
 * (the original's {@code rateLimit: {maxRequests, windowSeconds, endpoints: {<action>: {...}}}}). Each action and
 * namespace has its own budget.
 *
 * @param defaults the limit of an action without an override
 * @param actions  overrides by action name ({@code query}, {@code push}, ...)
 */
public record RateLimits(Limit defaults, Map<String, Limit> actions) {
    /** At most {@code maxRequests} (1 .. 1 000 000 000) per {@code window} (1 s .. 1 day). */
    public record Limit(int maxRequests, Duration window) {
        public Limit {
            if (maxRequests < 1 || maxRequests > 1_000_000_000) {
                throw new IllegalArgumentException("rateLimit.maxRequests must be 1 .. 1000000000, got " + maxRequests);
            }
            if (window == null || window.toSeconds() < 1 || window.compareTo(Duration.ofDays(1)) > 0) {
                throw new IllegalArgumentException("rateLimit.window must be 1 second .. 1 day, got " + window);
            }
        }

        /**
         * Parses {@code N} or {@code N/S} (requests per S seconds, S defaulting to {@code defaultWindow}).
         *
         * @throws IllegalArgumentException naming the text
         */
        public static Limit parse(String text, Duration defaultWindow) {
            String[] parts = text.trim().split("/", -1);
            try {
                int max = Integer.parseInt(parts[0].trim());
                if (parts.length == 1) {
                    return new Limit(max, defaultWindow);
                }
                if (parts.length == 2) {
                    return new Limit(max, Duration.ofSeconds(Long.parseLong(parts[1].trim())));
                }
            } catch (NumberFormatException e) {
                // falls through to the message below
            }
            throw new IllegalArgumentException("rate limit must be N or N/SECONDS, got '" + text + "'");
        }
    }

    public RateLimits {
        if (defaults == null) {
            throw new IllegalArgumentException("rateLimit: the default limit is required");
        }
        actions = Map.copyOf(actions);
    }

    /** The same limit for every action. */
    public static RateLimits of(int maxRequests, Duration window) {
        return new RateLimits(new Limit(maxRequests, window), Map.of());
    }

    /** These limits with {@code action} limited to {@code limit} instead of the default. */
    public RateLimits withAction(String action, Limit limit) {
        if (action == null || action.isBlank() || limit == null) {
            throw new IllegalArgumentException("rateLimit: an override needs an action name and a limit, got '" + action + "'");
        }
        Map<String, Limit> m = new TreeMap<>(actions);
        m.put(action, limit);
        return new RateLimits(defaults, m);
    }

    /** The limit of {@code action}. */
    public Limit limit(String action) {
        return actions.getOrDefault(action, defaults);
    }
}
