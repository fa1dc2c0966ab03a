// check.mjs drives `kuberesponder mcp` over stdio with the MCP TypeScript
// SDK's client, a client no one here wrote: it lists the tools, asks for the
// first response on the seed incident, describes the Pending pod and tries a
// write, and checks every answer. It prints one JSON line with what it saw
// and exits 1 on the first failed check.
//
//   node check.mjs KUBERESPONDER_BINARY KUBECONFIG NAMESPACE PENDING_POD
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const [bin, kubeconfig, ns, pod] = process.argv.slice(2);
if (!bin || !kubeconfig || !ns || !pod) {
  console.error("usage: node check.mjs KUBERESPONDER_BINARY KUBECONFIG NAMESPACE PENDING_POD");
  process.exit(2);
}

const failures = [];
function check(ok, what, got) {
  if (!ok) failures.push(`${what}: got ${typeof got === "string" ? got : JSON.stringify(got)}`);
}
const text = (res) => (res.content || []).filter((c) => c.type === "text").map((c) => c.text).join("");

const transport = new StdioClientTransport({
  command: bin,
  args: ["mcp", "--kubeconfig", kubeconfig, "-n", ns],
  env: { ...process.env },
  stderr: "inherit",
});
const client = new Client({ name: "ts-sdk-e2e", version: "1.0.0" });
const seen = {};
try {
  await client.connect(transport);
  seen.server = client.getServerVersion();

  const { tools } = await client.listTools();
  seen.tools = tools.map((t) => t.name).sort();
  check(JSON.stringify(seen.tools) === JSON.stringify(["first_response", "kubectl", "list_findings"]), "tools", seen.tools);
  for (const t of tools) {
    const a = t.annotations || {};
    check(a.readOnlyHint === true && a.destructiveHint === false && a.openWorldHint === false, `${t.name} annotations`, a);
    check(t.inputSchema && t.inputSchema.type === "object", `${t.name} input schema`, t.inputSchema);
  }

  const fr = await client.callTool({ name: "first_response", arguments: {} });
  const report = fr.structuredContent || {};
  seen.firstResponse = { isError: !!fr.isError, namespace: report.namespace, urgency: report.urgency, rules: (report.findings || []).map((f) => f.rule) };
  check(!fr.isError, "first_response is not an error", text(fr));
  check(text(fr).includes("nginx-with-10gi") && text(fr).includes("Insufficient memory"), "first_response names the incident", text(fr));
  check(report.namespace === ns, "first_response namespace", report.namespace);
  check((report.findings || [])[0]?.rule === "scheduling/insufficient-memory", "first_response top finding", seen.firstResponse.rules);

  const d = await client.callTool({ name: "kubectl", arguments: { command: `describe pod ${pod} -n ${ns}`, reason: "why is it Pending" } });
  const dt = text(d);
  seen.describe = { isError: !!d.isError, firstLine: dt.split("\n")[0] };
  check(!d.isError, "describe pod is not an error", dt);
  check(dt.startsWith(`$ kubectl describe pod ${pod} --namespace=${ns} (ran at `), "describe pod header", seen.describe.firstLine);
  check(/^Name:\s+/m.test(dt) && /^Status:\s+Pending$/m.test(dt) && dt.includes("Insufficient memory"), "describe pod body", dt);

  const w = await client.callTool({ name: "kubectl", arguments: { command: `delete pod ${pod} -n ${ns}`, reason: "restart it" } });
  seen.write = { isError: !!w.isError, text: text(w) };
  check(w.isError && text(w) === `not executed: changes the cluster; for the operator to apply: kubectl delete pod ${pod} -n ${ns}`, "write", text(w));
} catch (err) {
  failures.push(`${err && err.stack ? err.stack : err}`);
} finally {
  await client.close().catch(() => {});
}
console.log(JSON.stringify({ ok: failures.length === 0, failures, seen }));
process.exit(failures.length === 0 ? 0 : 1);
