package io.datafn.sync;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.json.Json;
import io.datafn.store.ChangeRow;
import io.datafn.store.StoredChange;
import org.junit.jupiter.api.Test;

import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link PullService.NetEffect}: one page of the change log folded into its net effect per record (PROTOCOL.md
 * "Fixes" 3), as {@code records} (full images), {@code merged} (deltas only), {@code deleted} (ids) and
 * {@code joins} (upsert/delete of join rows). Pure: no store.
 */
class NetEffectTest {
    private static long seq;

    private static StoredChange change(String resource, String id, String op, String singleQuoted) {
        return new StoredChange(++seq, resource, id, op, singleQuoted == null ? null : singleQuoted.replace('\'', '"'));
    }

    /** The four buckets after folding, as one JSON object with the non-empty ones (images kept as their text). */
    private static String fold(StoredChange... changes) {
        return fold(c -> c.image() == null ? null : Image.text(c.image()), changes);
    }

    /** As {@link #fold(StoredChange...)}, with images parsed first (as the dates' conversion hands them over). */
    private static String foldTrees(StoredChange... changes) {
        return fold(c -> c.image() == null ? null : Image.tree(Json.parse(c.image())), changes);
    }

    private static String fold(Function<StoredChange, Image> image, StoredChange... changes) {
        PullService.NetEffect net = new PullService.NetEffect();
        for (StoredChange c : changes) {
            net.apply(c, image.apply(c));
        }
        ObjectNode records = Json.object();
        ObjectNode merged = Json.object();
        ObjectNode deleted = Json.object();
        ObjectNode joins = Json.object();
        net.emit(records, merged, deleted, joins);
        ObjectNode out = Json.object();
        for (var e : new Object[][]{{"records", records}, {"merged", merged}, {"deleted", deleted}, {"joins", joins}}) {
            if (!((ObjectNode) e[1]).isEmpty()) {
                out.set((String) e[0], (ObjectNode) e[1]);
            }
        }
        return new String(Json.bytes(out), java.nio.charset.StandardCharsets.UTF_8).replace('"', '\'');
    }

    @Test
    void aFullImage_thenDeltas_isOneRecord() {
        assertThat(fold(change("task", "t1", ChangeRow.INSERT, "{'id':'t1','title':'a','done':false}"),
                change("task", "t1", ChangeRow.MERGE, "{'id':'t1','done':true}"),
                change("task", "t1", ChangeRow.MERGE, "{'id':'t1','title':'b'}")))
                .isEqualTo("{'records':{'task':[{'id':'t1','title':'b','done':true}]}}");
    }

    @Test
    void deltasAlone_foldIntoOneDelta() {
        assertThat(fold(change("task", "t1", ChangeRow.MERGE, "{'id':'t1','done':true}"),
                change("task", "t1", ChangeRow.MERGE, "{'id':'t1','title':'b','done':false}")))
                .isEqualTo("{'merged':{'task':[{'id':'t1','done':false,'title':'b'}]}}");
    }

    @Test
    void aFullImageAfterDeltas_replacesThem() {
        assertThat(fold(change("task", "t1", ChangeRow.MERGE, "{'id':'t1','stale':1}"),
                change("task", "t1", ChangeRow.REPLACE, "{'id':'t1','title':'r'}")))
                .isEqualTo("{'records':{'task':[{'id':'t1','title':'r'}]}}");
    }

    @Test
    void deleteAndReinsert_whicheverComesLastWins() {
        assertThat(fold(change("task", "t1", ChangeRow.INSERT, "{'id':'t1'}"), change("task", "t1", ChangeRow.DELETE, null)))
                .isEqualTo("{'deleted':{'task':['t1']}}");
        assertThat(fold(change("task", "t1", ChangeRow.DELETE, null), change("task", "t1", ChangeRow.UPSERT, "{'id':'t1','v':2}")))
                .isEqualTo("{'records':{'task':[{'id':'t1','v':2}]}}");
        // today's folding, pinned: a delta after a delete goes out as a delta alone, the delete is dropped
        assertThat(fold(change("task", "t1", ChangeRow.MERGE, "{'id':'t1','old':1}"), change("task", "t1", ChangeRow.DELETE, null),
                change("task", "t1", ChangeRow.MERGE, "{'id':'t1','new':1}")))
                .isEqualTo("{'merged':{'task':[{'id':'t1','new':1}]}}");
    }

    @Test
    void joinRows_areUpsertedOrDeleted_byTheirLastChange() {
        String join = "join_task_tags_tag";
        assertThat(fold(change(join, "t1:g1", ChangeRow.UPSERT, "{'id':'t1:g1','from':'t1','to':'g1','order':1}"),
                change(join, "t2:g1", ChangeRow.UPSERT, "{'id':'t2:g1','from':'t2','to':'g1'}"),
                change(join, "t2:g1", ChangeRow.DELETE, "{'from':'t2','to':'g1'}")))
                .isEqualTo("{'joins':{'" + join + "':{'upsert':[{'id':'t1:g1','from':'t1','to':'g1','order':1}],"
                        + "'delete':[{'from':'t2','to':'g1'}]}}}");
    }

    @Test
    void output_isOrderedByResourceThenId_whateverTheSeqOrder() {
        assertThat(fold(change("task", "t2", ChangeRow.INSERT, "{'id':'t2'}"), change("goal", "g1", ChangeRow.DELETE, null),
                change("task", "t1", ChangeRow.INSERT, "{'id':'t1'}")))
                .isEqualTo("{'records':{'task':[{'id':'t1'},{'id':'t2'}]},'deleted':{'goal':['g1']}}");
    }

    @Test
    void folding_doesNotChangeAParsedImage() {
        JsonNode tree = Json.parse("{\"id\":\"t1\",\"title\":\"a\"}");
        PullService.NetEffect net = new PullService.NetEffect();
        net.apply(change("task", "t1", ChangeRow.INSERT, null), Image.tree(tree));
        net.apply(change("task", "t1", ChangeRow.MERGE, null), Image.tree(Json.parse("{\"id\":\"t1\",\"title\":\"b\"}")));
        assertThat(tree.toString()).isEqualTo("{\"id\":\"t1\",\"title\":\"a\"}");
    }

    @Test
    void textImages_foldAsParsedOnesDo() {
        StoredChange[] page = {change("task", "t2", ChangeRow.INSERT, "{'id':'t2','n':1.5,'s':'é\\n\\u0001'}"),
                change("task", "t1", ChangeRow.INSERT, "{'id':'t1','title':'a'}"),
                change("task", "t1", ChangeRow.MERGE, "{'id':'t1','title':'b','x':[1,{'y':null}]}"),
                change("task", "t3", ChangeRow.MERGE, "{'id':'t3','done':true}"),
                change("task", "t4", ChangeRow.DELETE, null),
                change("join_task_tags_tag", "t1:g1", ChangeRow.UPSERT, "{'id':'t1:g1','from':'t1','to':'g1'}"),
                change("join_task_tags_tag", "t2:g1", ChangeRow.DELETE, "{'from':'t2','to':'g1'}")};
        assertThat(fold(page)).isEqualTo(foldTrees(page)).isEqualTo("{'records':{'task':[{'id':'t1','title':'b','x':[1,{'y':null}]},"
                + "{'id':'t2','n':1.5,'s':'é\\n\\u0001'}]},'merged':{'task':[{'id':'t3','done':true}]},'deleted':{'task':['t4']},"
                + "'joins':{'join_task_tags_tag':{'upsert':[{'id':'t1:g1','from':'t1','to':'g1'}],'delete':[{'from':'t2','to':'g1'}]}}}");
    }

    @Test
    void aTextImage_isWrittenAsStored() {
        PullService.NetEffect net = new PullService.NetEffect();
        net.apply(change("task", "t1", ChangeRow.INSERT, null), Image.text("{\"id\":\"t1\",\"n\":1e2}"));
        ObjectNode records = Json.object();
        net.emit(records, Json.object(), Json.object(), Json.object());
        assertThat(Json.text(records)).isEqualTo("{\"task\":[{\"id\":\"t1\",\"n\":1e2}]}");
    }

    @Test
    void aFullImageThatIsNoObject_failsThePull() {
        PullService.NetEffect net = new PullService.NetEffect();
        assertThatThrownBy(() -> net.apply(change("task", "t1", ChangeRow.INSERT, null), Image.tree(Json.NODES.nullNode())))
                .isInstanceOf(IllegalStateException.class);
    }
}
