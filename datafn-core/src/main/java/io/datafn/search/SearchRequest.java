package io.datafn.search;

import java.util.List;
import java.util.Map;

/**
 * A validated search: the text, the resources to search (never empty), at most {@code limit} hits, prefix matching of
 * the last term, fuzzy matching (0 = off; 0 &lt; f &lt; 1 = edit distance as a fraction of term length; ≥ 1 = that
 * many edits, at most 2), per-field boosts, and optionally the fields to search.
 */
public record SearchRequest(String query, List<String> resources, int limit, boolean prefix, double fuzzy,
                            Map<String, Double> fieldBoosts, List<String> fields) {
    public SearchRequest {
        resources = List.copyOf(resources);
        fieldBoosts = Map.copyOf(fieldBoosts);
        fields = fields == null ? null : List.copyOf(fields);
    }
}
