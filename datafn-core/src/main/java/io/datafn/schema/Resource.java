package io.datafn.schema;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A resource (one SQL table). {@code fields} excludes {@code id}, which every resource has as a string key.
 *
 * @param indices       each index is a list of field names (the {@code base} indices: SQL indexes)
 * @param searchIndices the fields of {@code indices.search}, as declared (the client's full-text fields)
 * @param vectorIndices the fields of {@code indices.vector}, as declared
 * @param sharing       the {@code shareable} capability's configuration, null when the resource is not shareable
 */
public record Resource(String name, int version, String idPrefix, List<Field> fields, List<List<String>> indices,
                       Set<String> capabilities, Map<String, Link> links, List<String> searchIndices,
                       List<String> vectorIndices, Sharing sharing) {

    public Resource {
        fields = List.copyOf(fields);
        indices = List.copyOf(indices);
        searchIndices = List.copyOf(searchIndices);
        vectorIndices = List.copyOf(vectorIndices);
        capabilities = Set.copyOf(capabilities);
        links = Collections.unmodifiableMap(new LinkedHashMap<>(links));
    }

    /** The field named {@code name}, or null. {@code id} is not a field. */
    public Field field(String name) {
        for (Field f : fields) {
            if (f.name().equals(name)) {
                return f;
            }
        }
        return null;
    }

    /** True for {@code id} and every field (capability and foreign-key fields included). */
    public boolean readable(String name) {
        return "id".equals(name) || field(name) != null;
    }

    public Link link(String name) {
        return links.get(name);
    }

    public boolean has(String capability) {
        return capabilities.contains(capability);
    }

    /** Shareable with {@code default: "private"}: a record is visible to its owner and its grantees only. */
    public boolean isPrivate() {
        return sharing != null && sharing.privateByDefault();
    }
}
