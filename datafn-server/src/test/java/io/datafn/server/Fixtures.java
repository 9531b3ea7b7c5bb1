package io.datafn.server;

/** Fixture F1 of reference-query-mutation.md §11: goals, tasks, tags, task.goal (many-one) and task.tags (many-many). */
public final class Fixtures {
    private Fixtures() {
    }

    public static final String F1_SCHEMA = """
            {
              "resources": [
                {"name": "goal", "version": 1, "idPrefix": "goal:", "fields": [
                  {"name": "label", "type": "string", "required": true},
                  {"name": "status", "type": "string"},
                  {"name": "isArchived", "type": "boolean", "default": false}
                ]},
                {"name": "task", "version": 1, "idPrefix": "task:", "fields": [
                  {"name": "label", "type": "string", "required": true},
                  {"name": "title", "type": "string", "nullable": true},
                  {"name": "priority", "type": "number", "nullable": true},
                  {"name": "goalId", "type": "string", "nullable": true},
                  {"name": "isArchived", "type": "boolean", "default": false},
                  {"name": "updatedAt", "type": "string"},
                  {"name": "dueAt", "type": "date", "nullable": true},
                  {"name": "labels", "type": "array", "nullable": true},
                  {"name": "meta", "type": "json", "nullable": true},
                  {"name": "code", "type": "string", "unique": true, "nullable": true}
                ]},
                {"name": "tag", "version": 1, "idPrefix": "tag:", "fields": [
                  {"name": "label", "type": "string", "required": true}
                ]}
              ],
              "relations": [
                {"from": "task", "to": "goal", "type": "many-one", "relation": "goal", "inverse": "tasks", "fkField": "goalId"},
                {"from": "task", "to": "tag", "type": "many-many", "relation": "tags", "inverse": "tasks",
                 "metadata": [{"name": "order", "type": "number"}, {"name": "addedAt", "type": "date"}]}
              ]
            }
            """;

    /** Loads the F1 data set through the public mutation endpoint. */
    public static void loadF1(TestServer s) {
        s.mutate("""
                [{"resource":"goal","operation":"insert","id":"goal:g1","record":{"label":"Goal 1","status":"open","isArchived":false}},
                 {"resource":"goal","operation":"insert","id":"goal:g2","record":{"label":"Goal 2","status":"paused","isArchived":false}},
                 {"resource":"goal","operation":"insert","id":"goal:g3","record":{"label":"Goal 3","status":"open","isArchived":true}},
                 {"resource":"task","operation":"insert","id":"task:t1","record":{"label":"Task 1","priority":5,"goalId":"goal:g1","isArchived":false,"updatedAt":"2026-01-10"}},
                 {"resource":"task","operation":"insert","id":"task:t2","record":{"label":"Task 2","priority":2,"goalId":"goal:g1","isArchived":false,"updatedAt":"2026-01-11"}},
                 {"resource":"task","operation":"insert","id":"task:t3","record":{"label":"Task 3","priority":3,"goalId":"goal:g2","isArchived":false,"updatedAt":"2026-01-12"}},
                 {"resource":"task","operation":"insert","id":"task:t4","record":{"label":"Task 4","priority":10,"goalId":"goal:g2","isArchived":true,"updatedAt":"2026-01-13"}},
                 {"resource":"tag","operation":"insert","id":"tag:urgent","record":{"label":"urgent"}},
                 {"resource":"tag","operation":"insert","id":"tag:home","record":{"label":"home"}},
                 {"resource":"task","operation":"relate","id":"task:t1","relations":{"tags":[{"$ref":"tag:urgent","order":2,"addedAt":"2026-01-02"},{"$ref":"tag:home","order":1,"addedAt":"2026-01-02"}]}},
                 {"resource":"task","operation":"relate","id":"task:t3","relations":{"tags":{"$ref":"tag:urgent","order":1,"addedAt":"2026-01-03"}}}]
                """);
    }

    /** One namespace ("team") whose actor is the {@code X-User} header: sharing between users of one namespace. */
    public static final io.datafn.auth.NamespaceProvider TEAM = new io.datafn.auth.NamespaceProvider() {
        @Override
        public String namespace(io.datafn.router.RequestContext ctx) {
            return "team";
        }

        @Override
        public String actorId(io.datafn.router.RequestContext ctx) {
            return ctx.header("X-User");
        }
    };
}
