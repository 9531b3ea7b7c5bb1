package io.datafn.plugin;

import com.fasterxml.jackson.databind.JsonNode;
import io.datafn.error.DatafnException;
import io.datafn.error.ErrorCode;
import io.datafn.json.Json;
import io.datafn.router.RequestContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;

/**
 * Runs plugin hooks in registration order and holds them to their contract: a before-hook that fails stops the
 * request (its {@link DatafnException} is the answer; anything else is a 500 naming the plugin in the log), an
 * after-hook that fails is logged and skipped.
 */
public final class PluginChain {
    private static final Logger log = LoggerFactory.getLogger(PluginChain.class);

    private final List<DatafnPlugin> plugins;

    public PluginChain(List<DatafnPlugin> plugins) {
        this.plugins = List.copyOf(plugins);
    }

    @FunctionalInterface
    private interface Hook {
        JsonNode apply(DatafnPlugin p, JsonNode value);
    }

    /** Runs the plugins' authorize hooks; the first denial is a 403 that names the plugin. */
    public void authorize(RequestContext ctx, String action, JsonNode payload) {
        for (DatafnPlugin p : plugins) {
            boolean ok;
            try {
                ok = p.authorize(ctx, action, payload);
            } catch (DatafnException e) {
                throw new DatafnException(e.code(), e.getMessage(), e.path(), e.status(), Map.of("plugin", p.name()), e);
            } catch (RuntimeException e) {
                throw new IllegalStateException("plugin '" + p.name() + "' authorize failed", e);
            }
            if (!ok) {
                throw new DatafnException(ErrorCode.FORBIDDEN, "Authorization denied", "$", 403, Map.of("plugin", p.name()), null);
            }
        }
    }

    public JsonNode beforeQuery(RequestContext ctx, JsonNode body) {
        return before("beforeQuery", body, (p, v) -> p.beforeQuery(ctx, v));
    }

    public JsonNode afterQuery(RequestContext ctx, JsonNode body, JsonNode result) {
        return after("afterQuery", result, (p, v) -> p.afterQuery(ctx, body, v));
    }

    public JsonNode beforeMutation(RequestContext ctx, JsonNode body) {
        return before("beforeMutation", body, (p, v) -> p.beforeMutation(ctx, v));
    }

    public void afterMutation(RequestContext ctx, JsonNode body, JsonNode result) {
        after("afterMutation", result, (p, v) -> {
            p.afterMutation(ctx, body, v);
            return v;
        });
    }

    public JsonNode beforeSync(RequestContext ctx, String phase, JsonNode payload) {
        return before("beforeSync", payload, (p, v) -> p.beforeSync(ctx, phase, v));
    }

    /**
     * Runs the plugins' afterSync hooks. A result may carry parts as unparsed JSON text ({@link Json#raw}: a pull's
     * images); plugins are given it resolved into trees (in place, so the answer is the tree they saw), and without
     * plugins nothing is parsed.
     */
    public JsonNode afterSync(RequestContext ctx, String phase, JsonNode payload, JsonNode result) {
        if (plugins.isEmpty()) {
            return result;
        }
        return after("afterSync", Json.resolveRaw(result), (p, v) -> p.afterSync(ctx, phase, payload, v));
    }

    private JsonNode before(String hook, JsonNode value, Hook h) {
        return run(hook, value, h, true);
    }

    private JsonNode after(String hook, JsonNode value, Hook h) {
        return run(hook, value, h, false);
    }

    /** Fail-closed hooks stop the request on any error; fail-open hooks are logged and skipped. */
    private JsonNode run(String hook, JsonNode value, Hook h, boolean failClosed) {
        JsonNode v = value;
        for (DatafnPlugin p : plugins) {
            try {
                JsonNode out = h.apply(p, v);
                if (out != null) {
                    v = out;
                }
            } catch (DatafnException e) {
                if (failClosed) {
                    throw e;
                }
                log.warn("plugin '{}' failed in {} (ignored, the response stands)", p.name(), hook, e);
            } catch (RuntimeException e) {
                if (failClosed) {
                    throw new IllegalStateException("plugin '" + p.name() + "' failed in " + hook, e);
                }
                log.warn("plugin '{}' failed in {} (ignored, the response stands)", p.name(), hook, e);
            }
        }
        return v;
    }
}
