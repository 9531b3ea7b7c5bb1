package io.datafn.router;

import java.io.IOException;
import java.io.OutputStream;

/** A response body produced while it is sent (large clones), instead of being built in memory first. */
@FunctionalInterface
public interface BodyWriter {
    void writeTo(OutputStream out) throws IOException;
}
