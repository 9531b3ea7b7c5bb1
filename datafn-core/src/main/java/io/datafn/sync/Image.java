package io.datafn.sync;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.json.Json;

/**
 * A change image on its way into a pull answer. Most images go out exactly as the change log stores them (the JSON
 * text this server wrote with {@link Json#MAPPER}), so they stay text and are written as they are ({@link Json#raw}):
 * parsing each into a tree and serialising it again was most of a pull's CPU. An image is parsed only when its tree is
 * needed: a delta folded into a full image, a join row's {@code from}/{@code to}, a date to convert.
 */
final class Image {
    private final String text;
    private final JsonNode tree;
    /** Whether {@link #tree} is this image's own, which a fold may change (no one else holds it). */
    private final boolean owned;

    private Image(String text, JsonNode tree, boolean owned) {
        this.text = text;
        this.tree = tree;
        this.owned = owned;
    }

    /** An image still as its stored JSON text. */
    static Image text(String json) {
        return new Image(json, null, false);
    }

    /** An image already parsed; it is not changed (a fold works on a copy). */
    static Image tree(JsonNode tree) {
        return new Image(null, tree, false);
    }

    /**
     * This image as a record's full image, which is an object (text images are: {@link PullService} keeps only those
     * as text). Anything else means a broken change log, and the pull fails, as it always did.
     */
    Image asFull() {
        if (tree != null && !tree.isObject()) {
            throw new IllegalStateException("a full change image is no JSON object but " + tree.getNodeType());
        }
        return this;
    }

    /** The image as a tree, to read only. */
    JsonNode read() {
        return tree != null ? tree : Json.parse(text);
    }

    /** This full image with the fields of {@code delta} set over it (a merge after an insert in one page). */
    Image merged(ObjectNode delta) {
        ObjectNode own = owned ? (ObjectNode) tree : text != null ? (ObjectNode) Json.parse(text) : ((ObjectNode) tree).deepCopy();
        own.setAll(delta);
        return new Image(null, own, true);
    }

    /** The image for the answer: the tree, or the stored text written as it is. */
    JsonNode out() {
        return tree != null ? tree : Json.raw(text);
    }
}
