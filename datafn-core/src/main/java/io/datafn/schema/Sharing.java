package io.datafn.schema;

import java.util.List;

/**
 * The {@code shareable} capability of a resource (reference-query-mutation.md §2.5): the grant levels a share may
 * give and the visibility of a new record. With {@code private} a record is visible only to its owner (its
 * {@code createdBy}, recorded by the {@code audit} capability the shareable capability requires) and to the
 * principals it was shared with.
 *
 * @param levels            allowed share levels, a subset of viewer, editor, owner
 * @param defaultVisibility {@code private} or {@code shared}
 */
public record Sharing(List<String> levels, String defaultVisibility) {
    public static final Sharing DEFAULT = new Sharing(List.of("viewer", "editor", "owner"), "private");

    public Sharing {
        levels = List.copyOf(levels);
    }

    public boolean privateByDefault() {
        return "private".equals(defaultVisibility);
    }
}
