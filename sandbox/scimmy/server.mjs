// SCIMMY (npm scimmy + scimmy-routers, MIT) on loopback: a second independent SCIM 2.0 peer for tests.
// In-memory users and groups; SCIMMY itself parses filters, applies PatchOps and pages lists.
// Usage: node sandbox/scimmy/server.mjs PORT TOKEN   (prints "listening <url>" once it accepts requests)
// Every `/<tenant>/scim/v2` prefix is a separate, empty service, so one process serves a test session.
import {randomUUID} from "node:crypto";
import express from "express";
import SCIMMY from "scimmy";
import SCIMMYRouters from "scimmy-routers";

const [port, token] = [Number(process.argv[2] || 0), process.argv[3] || ""];
if (!token) {
    console.error("usage: server.mjs PORT TOKEN (the bearer token must not be empty)");
    process.exit(2);
}

// Why: one store per tenant and resource type, keyed by id; userName/displayName unique ignoring case.
function store(unique) {
    const tenants = new Map();
    const of = (ctx) => {
        if (!tenants.has(ctx)) tenants.set(ctx, new Map());
        return tenants.get(ctx);
    };
    const now = () => new Date().toISOString();
    return {
        ingress(resource, instance, ctx) {
            const items = of(ctx);
            const key = String(instance[unique] ?? "").toLowerCase();
            for (const [id, item] of items) {
                if (id !== resource.id && String(item[unique] ?? "").toLowerCase() === key) {
                    throw new SCIMMY.Types.Error(409, "uniqueness", `${unique} ${instance[unique]} is taken`);
                }
            }
            if (resource.id && !items.has(resource.id)) {
                throw new SCIMMY.Types.Error(404, null, `Resource ${resource.id} not found`);
            }
            const id = resource.id ?? randomUUID();
            const created = resource.id ? items.get(id).meta.created : now();
            const value = {...JSON.parse(JSON.stringify(instance)), id, meta: {created, lastModified: now()}};
            items.set(id, value);
            return value;
        },
        egress(resource, ctx) {
            const items = of(ctx);
            if (resource.id) {
                const found = items.get(resource.id);
                if (!found) throw new SCIMMY.Types.Error(404, null, `Resource ${resource.id} not found`);
                return found;
            }
            const all = [...items.values()];
            return resource.filter ? resource.filter.match(all) : all;
        },
        degress(resource, ctx) {
            const items = of(ctx);
            if (!items.delete(resource.id)) {
                throw new SCIMMY.Types.Error(404, null, `Resource ${resource.id} not found`);
            }
        },
    };
}

const users = store("userName");
const groups = store("displayName");
SCIMMY.Resources.declare(SCIMMY.Resources.User.extend(SCIMMY.Schemas.EnterpriseUser, false))
    .ingress((resource, instance, ctx) => users.ingress(resource, instance, ctx))
    .egress((resource, ctx) => users.egress(resource, ctx))
    .degress((resource, ctx) => users.degress(resource, ctx));
SCIMMY.Resources.declare(SCIMMY.Resources.Group)
    .ingress((resource, instance, ctx) => groups.ingress(resource, instance, ctx))
    .egress((resource, ctx) => groups.egress(resource, ctx))
    .degress((resource, ctx) => groups.degress(resource, ctx));
SCIMMY.Config.set({patch: true, filter: {supported: true, maxResults: 200}, sort: true});

const app = express();
app.use("/:tenant/scim/v2", new SCIMMYRouters({
    type: "bearer",
    handler: (request) => {
        if (request.header("Authorization") !== `Bearer ${token}`) throw new Error("invalid bearer token");
        return "scimmy-test-admin";
    },
    context: (request) => request.baseUrl.split("/")[1],
}));
const server = app.listen(port, "127.0.0.1", () => {
    console.log(`listening http://127.0.0.1:${server.address().port}`);
});
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => server.close(() => process.exit(0)));
