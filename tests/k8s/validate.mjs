// Checks the rendered output of one kustomization (multi-document YAML on stdin) against the
// Kubernetes API schemas and against what schemagate needs. Run by tests/k8s/check:
//
//   kubectl kustomize docker/kubernetes/overlays/schema | node validate.mjs <name> <schemagate> <uid>
//
// 1. Every object validates against its kind's OpenAPI schema (types, enums, required fields;
//    kubernetes-models), and has no field its kind does not define (a typo such as `prots:` is
//    silently dropped by the API server; the attribute maps of @kubernetes/client-node).
// 2. The sidecar and the Job: probes on the port SCHEMAGATE_LISTEN binds (and the containerPort
//    and prometheus.io/port), runAsUser = the image's USER, room for the stop on SIGTERM,
//    restartPolicy Always for the native sidecar, `run` for the sidecar and `migrate` for the Job,
//    a podFailurePolicy that ends the Job on what retrying cannot fix.
// 3. Every ConfigMap and Secret a pod names exists with the keys it names, every key of a
//    ConfigMap mounted with `items` is placed, and every *_FILE setting names a mounted key.
// 4. The settings and the migrations as each pod sees them pass `schemagate validate --offline`:
//    the volumes are written to a temporary directory and the paths rewritten into it.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import yaml from "js-yaml";
import * as client from "@kubernetes/client-node";

const [name, schemagate, imageUid] = process.argv.slice(2);
const problems = [];
const problem = (where, what) => problems.push(`${name}: ${where}: ${what}`);

const docs = yaml.loadAll(fs.readFileSync(0, "utf8")).filter((d) => d);
// kustomize wraps a long base64 value over lines; the API server's decoder skips the newlines.
for (const d of docs) {
  if (d.kind === "Secret") for (const k of Object.keys(d.data ?? {})) d.data[k] = String(d.data[k]).replace(/\s+/g, "");
}
const byKind = (kind) => docs.filter((d) => d.kind === kind);
const find = (kind, n) => docs.find((d) => d.kind === kind && d.metadata?.name === n);

// --- 1. schemas -------------------------------------------------------------------------------
async function schemaCheck(doc) {
  const [group, version] = doc.apiVersion.includes("/") ? doc.apiVersion.split("/") : [null, doc.apiVersion];
  const where = `${doc.kind}/${doc.metadata?.name}`;
  let Model;
  try {
    Model = (await import(`kubernetes-models/${group ? group + "/" : ""}${version}/${doc.kind}`))[doc.kind];
  } catch {
    problem(where, `no schema for ${doc.apiVersion} ${doc.kind}`);
    return;
  }
  try {
    new Model(doc).validate();
  } catch (e) {
    problem(where, `schema: ${e.message}`);
  }
  strictFields(where, doc, `${version[0].toUpperCase()}${version.slice(1)}${doc.kind}`, "");
}

function strictFields(where, value, type, at) {
  if (value === null || value === undefined) return;
  const array = /^Array<(.+)>$/.exec(type);
  if (array) {
    if (Array.isArray(value)) value.forEach((v, i) => strictFields(where, v, array[1], `${at}[${i}]`));
    return;
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    for (const [k, v] of Object.entries(value)) strictFields(where, v, map[1], `${at}.${k}`);
    return;
  }
  const cls = client[type];
  if (!cls?.getAttributeTypeMap || typeof value !== "object") return;
  const attributes = new Map(cls.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
  for (const [k, v] of Object.entries(value)) {
    if (!attributes.has(k)) {
      problem(where, `${at ? at.slice(1) + "." : ""}${k}: no such field in ${type}`);
    } else {
      strictFields(where, v, attributes.get(k), `${at}.${k}`);
    }
  }
}

// --- 2. and 3. what schemagate needs ----------------------------------------------------------
function envOf(pod, container) {
  const env = {};
  for (const from of container.envFrom ?? []) {
    const cm = from.configMapRef && find("ConfigMap", from.configMapRef.name);
    if (from.configMapRef && !cm) problem(container.name, `envFrom names a missing ConfigMap ${from.configMapRef.name}`);
    Object.assign(env, cm?.data ?? {});
  }
  for (const e of container.env ?? []) {
    if (e.value !== undefined) env[e.name] = e.value;
  }
  return env;
}

// The files a container sees: absolute path -> content (Buffer).
function filesOf(pod, container) {
  const files = new Map();
  const volumes = new Map((pod.spec.volumes ?? []).map((v) => [v.name, v]));
  const place = (where, source, kind, mount) => {
    const obj = find(kind, kind === "Secret" ? source.secretName : source.name);
    const objName = kind === "Secret" ? source.secretName : source.name;
    if (!obj) {
      problem(where, `names a missing ${kind} ${objName}`);
      return;
    }
    const data = new Map();
    for (const [k, v] of Object.entries(obj.data ?? {})) data.set(k, kind === "Secret" ? Buffer.from(v, "base64") : Buffer.from(v));
    for (const [k, v] of Object.entries(obj.stringData ?? {})) data.set(k, Buffer.from(v));
    if (source.items) {
      const placed = new Set(source.items.map((i) => i.key));
      for (const item of source.items) {
        if (!data.has(item.key)) problem(where, `${kind} ${objName} has no key ${item.key}`);
        else files.set(path.posix.join(mount, item.path), data.get(item.key));
      }
      // A Secret mounted with items deliberately shows some keys only; a ConfigMap of files
      // with an unlisted key is a file that never reaches the pod.
      if (kind === "ConfigMap") {
        for (const k of data.keys()) if (!placed.has(k)) problem(where, `key ${k} of ConfigMap ${objName} is not placed by any items entry`);
      }
    } else {
      for (const [k, v] of data) files.set(path.posix.join(mount, k), v);
    }
  };
  for (const m of container.volumeMounts ?? []) {
    const v = volumes.get(m.name);
    const where = `${container.name} volume ${m.name}`;
    if (!v) {
      problem(where, "is mounted but not defined");
      continue;
    }
    if (v.configMap) place(where, v.configMap, "ConfigMap", m.mountPath);
    if (v.secret) place(where, v.secret, "Secret", m.mountPath);
    for (const s of v.projected?.sources ?? []) {
      if (s.configMap) place(where, s.configMap, "ConfigMap", m.mountPath);
      if (s.secret) place(where, { ...s.secret, secretName: s.secret.name }, "Secret", m.mountPath);
    }
  }
  return files;
}

function portOf(listen) {
  const m = /:(\d+)$/.exec(listen ?? "0.0.0.0:8080");
  return m ? Number(m[1]) : NaN;
}

function checkPod(owner, pod, container, command) {
  const where = `${owner} container ${container.name}`;
  const grace = pod.spec.terminationGracePeriodSeconds ?? 30;
  if (grace < 10) problem(owner, `terminationGracePeriodSeconds ${grace}: schemagate needs about 5 s to stop cleanly; give it at least 10`);
  for (const [what, ctx] of [["pod", pod.spec.securityContext], ["container", container.securityContext]]) {
    if (ctx?.runAsUser !== undefined && String(ctx.runAsUser) !== imageUid) {
      problem(where, `${what} runAsUser ${ctx.runAsUser} is not the image's USER ${imageUid}`);
    }
  }
  const args = [...(container.command ?? []), ...(container.args ?? [])];
  if (args[0] !== command) problem(where, `runs ${JSON.stringify(args)}, not ${command}`);

  const env = envOf(pod, container);
  const files = filesOf(pod, container);
  for (const [k, v] of Object.entries(env)) {
    if (k.endsWith("_FILE") && !files.has(v)) problem(where, `${k}=${v}: no mounted key at that path`);
  }
  if (command === "run") {
    const port = portOf(env.SCHEMAGATE_LISTEN);
    const named = new Map((container.ports ?? []).map((p) => [p.name, p.containerPort]));
    if (![...named.values()].includes(port)) problem(where, `no containerPort ${port} (SCHEMAGATE_LISTEN)`);
    for (const [probe, pathWanted] of [["startupProbe", "/readyz"], ["livenessProbe", "/livez"]]) {
      const p = container[probe]?.httpGet;
      if (!p) {
        problem(where, `no ${probe}`);
        continue;
      }
      const probePort = typeof p.port === "string" ? named.get(p.port) : p.port;
      if (probePort !== port) problem(where, `${probe} probes port ${p.port}, schemagate listens on ${port}`);
      if (p.path !== pathWanted) problem(where, `${probe} asks ${p.path}, wants ${pathWanted}`);
    }
    if (container.readinessProbe?.httpGet?.path === "/readyz") {
      problem(where, "a readinessProbe on /readyz: it is latched, so it adds nothing to the startupProbe");
    }
    const annotated = pod.metadata?.annotations?.["prometheus.io/port"];
    if (annotated !== undefined && Number(annotated) !== port) problem(owner, `prometheus.io/port ${annotated}, schemagate listens on ${port}`);
  }
  validateOffline(where, env, files);
}

function validateOffline(where, env, files) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "sgk8s."));
  try {
    for (const [p, content] of files) {
      fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
      fs.writeFileSync(path.join(root, p), content, { mode: 0o600 });
    }
    const rewritten = {};
    for (const [k, v] of Object.entries(env)) rewritten[k] = k.endsWith("_FILE") ? path.join(root, v) : v;
    rewritten.SCHEMAGATE_MIGRATIONS = path.join(root, env.SCHEMAGATE_MIGRATIONS ?? "/migrations");
    const r = spawnSync(schemagate, ["validate", "--offline"], {
      env: { PATH: process.env.PATH, ...rewritten },
      encoding: "utf8",
      timeout: 30000,
    });
    if (r.status !== 0) problem(where, `schemagate validate --offline exit ${r.status}: ${(r.stderr + r.stdout).trim().split("\n").slice(-3).join(" | ")}`);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

for (const doc of docs) await schemaCheck(doc);

const sidecars = [];
for (const d of byKind("Deployment")) {
  const pod = d.spec.template;
  for (const c of pod.spec.initContainers ?? []) {
    if (!/schemagate/.test(c.image ?? "")) continue;
    sidecars.push(c);
    if (c.restartPolicy !== "Always") problem(`Deployment/${d.metadata.name} ${c.name}`, "an init container without restartPolicy: Always is not a sidecar: /metrics and /health would end with initialisation");
    checkPod(`Deployment/${d.metadata.name}`, pod, c, "run");
  }
}
const jobs = [];
for (const j of byKind("Job")) {
  const pod = j.spec.template;
  for (const c of pod.spec.containers ?? []) {
    if (!/schemagate/.test(c.image ?? "")) continue;
    jobs.push(c);
    checkPod(`Job/${j.metadata.name}`, pod, c, "migrate");
    const failJob = (j.spec.podFailurePolicy?.rules ?? []).filter((r) => r.action === "FailJob").flatMap((r) => r.onExitCodes?.values ?? []);
    for (const code of [1, 2, 4]) if (!failJob.includes(code)) problem(`Job/${j.metadata.name}`, `exit ${code} does not end the Job: every retry fails the same way`);
    for (const code of [3, 5]) if (failJob.includes(code)) problem(`Job/${j.metadata.name}`, `exit ${code} ends the Job, but waiting can fix it`);
  }
}
if (sidecars.length === 0) problem("Deployment", "no schemagate sidecar");
if (jobs.length === 0) problem("Job", "no schemagate Job");

if (problems.length > 0) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log(`${name}: ${docs.length} objects valid; sidecar and Job pass schemagate validate --offline`);
