#!/usr/bin/env python3
"""Loads a local kube-apiserver with the side-by-side benchmark's mesh (see tools/scale/side-by-side.sh).

What it creates, all through the REST API over a few keep-alive connections (thousands of objects in seconds,
where one kubectl process per object would take minutes):
  - namespaces ns-0..ns-<K-1> (and istio-system), one Node;
  - N Services svc-<i> in ns-<i mod K>, selector app=svc-<i>, ClusterIPs allocated by the apiserver, ports by
    i mod 10: http 80->8080 (0-3, 9), http 8080 (4), http 9080 (5), grpc 9090 (6), http 80 + grpc 9090 (7),
    tcp 5432 (8);
  - E Pods per Service (svc-<i>-<e>, labels app/version v1|v2 and the labels injection adds, service account
    svc-<i>), status patched Running and Ready with a pod IP from 10.128.0.0/9 (as a kubelet would);
  - one EndpointSlice per Service listing its Pods as ready endpoints (the endpointslice controller's labels);
  - a handful of Istio configs: a weighted VirtualService and a DestinationRule with subsets for svc-0, a header
    match VirtualService and a DestinationRule with a connection pool for svc-1, a STRICT PeerAuthentication for
    ns-1, a mesh-wide PERMISSIVE PeerAuthentication, and an ingress Gateway with a (weighted) VirtualService for
    gateways.
Writes into --out: workloads.tsv (the load generator's file: one real Pod per simulated proxy), edits/ (the
files of the vs-edit and eds-edit commands and of their undo), summary.json (object counts and edit targets).

Usage: load-cluster.py --kubeconfig FILE --out DIR [--services N] [--endpoints E] [--namespaces K] [--proxies P]
"""
import argparse
import base64
import copy
import http.client
import json
import os
import re
import ssl
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

DOMAIN = "cluster.local"
NODE = "bench-node-1"
# (name, port, targetPort, appProtocol) per service index mod 10.
PORTS = {
    4: [("http-web", 8080, 8080, None)],
    5: [("http", 9080, 9080, None)],
    6: [("grpc", 9090, 9090, "grpc")],
    7: [("http", 80, 8080, None), ("grpc", 9090, 9090, "grpc")],
    8: [("tcp-db", 5432, 5432, None)],
}
DEFAULT_PORTS = [("http", 80, 8080, None)]
# The address the eds-edit adds: outside the pods' 10.128.0.0/9 range, so it is new.
EDS_EDIT_ADDRESS = "10.127.255.1"


def ports_of(i):
    return PORTS.get(i % 10, DEFAULT_PORTS)


def pod_ip(k):
    block = k // 250
    return f"10.{128 + block // 256}.{block % 256}.{k % 250 + 1}"


class Api:
    """A minimal Kubernetes REST client: the kubeconfig's server, CA and client certificate; one connection per
    thread, kept alive."""

    def __init__(self, kubeconfig):
        text = open(kubeconfig, encoding="utf-8").read()

        def field(name):
            m = re.search(rf"^\s*{name}:\s*(\S+)\s*$", text, re.M)
            if not m:
                sys.exit(f"load-cluster.py: {kubeconfig} has no {name}")
            return m.group(1)

        m = re.match(r"https://([^:/]+):(\d+)", field("server"))
        self.host, self.port = m.group(1), int(m.group(2))
        self.tmp = tempfile.mkdtemp(prefix="load-cluster.")
        files = {}
        for name in ("certificate-authority-data", "client-certificate-data", "client-key-data"):
            path = os.path.join(self.tmp, name)
            with open(path, "wb") as f:
                f.write(base64.b64decode(field(name)))
            files[name] = path
        self.ctx = ssl.create_default_context(cafile=files["certificate-authority-data"])
        self.ctx.load_cert_chain(files["client-certificate-data"], files["client-key-data"])
        self.local = threading.local()

    def close(self):
        for name in os.listdir(self.tmp):
            os.remove(os.path.join(self.tmp, name))
        os.rmdir(self.tmp)

    def request(self, method, path, body=None, content_type="application/json", ok=(200, 201)):
        data = None if body is None else json.dumps(body).encode()
        for attempt in range(5):
            conn = getattr(self.local, "conn", None)
            if conn is None:
                conn = http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=60)
                self.local.conn = conn
            try:
                conn.request(method, path, body=data, headers={"Content-Type": content_type})
                resp = conn.getresponse()
                payload = resp.read()
            except (OSError, http.client.HTTPException):
                conn.close()
                self.local.conn = None
                time.sleep(0.2 * (attempt + 1))
                continue
            if resp.status == 429 or resp.status >= 500:
                time.sleep(0.2 * (attempt + 1))
                continue
            if resp.status not in ok:
                raise RuntimeError(f"{method} {path}: HTTP {resp.status}: {payload[:400].decode(errors='replace')}")
            return json.loads(payload) if payload else None
        raise RuntimeError(f"{method} {path}: no answer after 5 attempts")

    def create(self, path, obj):
        return self.request("POST", path, obj)


def namespaced(group_version, ns, plural):
    prefix = "/api/v1" if group_version == "v1" else f"/apis/{group_version}"
    return f"{prefix}/namespaces/{ns}/{plural}"


def service(i, ns):
    return {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": f"svc-{i}", "namespace": ns, "labels": {"app": f"svc-{i}"}},
        "spec": {
            "selector": {"app": f"svc-{i}"},
            "ports": [dict({"name": n, "port": p, "targetPort": t, "protocol": "TCP"},
                           **({"appProtocol": a} if a else {})) for n, p, t, a in ports_of(i)],
        },
    }


def pod(i, e, ns):
    version = "v1" if e % 2 == 0 else "v2"
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {
            "name": f"svc-{i}-{e}", "namespace": ns,
            "labels": {"app": f"svc-{i}", "version": version, "security.istio.io/tlsMode": "istio",
                       "service.istio.io/canonical-name": f"svc-{i}",
                       "service.istio.io/canonical-revision": version},
        },
        "spec": {
            "nodeName": NODE, "serviceAccountName": f"svc-{i}",
            "containers": [{"name": "app", "image": "bench.invalid/app:1",
                            "ports": [{"containerPort": t, "protocol": "TCP"}
                                      for t in sorted({t for _, _, t, _ in ports_of(i)})]}],
        },
    }


def pod_status(ip):
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return {"status": {
        "phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}], "hostIP": "10.250.255.1",
        "conditions": [{"type": t, "status": "True", "lastTransitionTime": now}
                       for t in ("PodScheduled", "Initialized", "ContainersReady", "Ready")],
        "containerStatuses": [{"name": "app", "image": "bench.invalid/app:1", "imageID": "", "ready": True,
                               "started": True, "restartCount": 0, "state": {"running": {"startedAt": now}}}],
    }}


def endpoint_slice(i, ns, endpoints, pods):
    return {
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {
            "name": f"svc-{i}-bench", "namespace": ns,
            "labels": {"kubernetes.io/service-name": f"svc-{i}",
                       "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"},
        },
        "addressType": "IPv4",
        "endpoints": [{
            "addresses": [pod_ip(i * endpoints + e)],
            "conditions": {"ready": True, "serving": True, "terminating": False},
            "nodeName": NODE,
            "targetRef": {"kind": "Pod", "namespace": ns, "name": f"svc-{i}-{e}",
                          "uid": pods.get((i, e), "")},
        } for e in range(endpoints)],
        "ports": [dict({"name": n, "port": t, "protocol": "TCP"}, **({"appProtocol": a} if a else {}))
                  for n, _, t, a in ports_of(i)],
    }


def host(i, namespaces):
    return f"svc-{i}.ns-{i % namespaces}.svc.{DOMAIN}"


def split_virtual_service(namespaces, v1_weight):
    """The VirtualService the vs-edit changes: svc-0 is http on port 80, so every sidecar's route "80" carries
    it; the edit moves weight between the subsets."""
    h = host(0, namespaces)
    return {
        "apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
        "metadata": {"name": "svc-0-split", "namespace": "ns-0"},
        "spec": {"hosts": [h], "http": [{"route": [
            {"destination": {"host": h, "subset": "v1"}, "weight": v1_weight},
            {"destination": {"host": h, "subset": "v2"}, "weight": 100 - v1_weight}]}]},
    }


def ingress_virtual_service(namespaces, v1_weight):
    """The gateways' routes (bound to Gateway istio-system/ingress only). With simulated gateways the vs-edit
    changes its weights too, in the same kubectl call: a mesh VirtualService never reaches a gateway's RDS."""
    h0, h2 = host(0, namespaces), host(2, namespaces)
    return {
        "apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
        "metadata": {"name": "ingress-routes", "namespace": "istio-system"},
        "spec": {"hosts": ["*"], "gateways": ["istio-system/ingress"], "http": [
            {"match": [{"uri": {"prefix": "/svc-0"}}], "route": [
                {"destination": {"host": h0, "subset": "v1", "port": {"number": 80}}, "weight": v1_weight},
                {"destination": {"host": h0, "subset": "v2", "port": {"number": 80}}, "weight": 100 - v1_weight}]},
            {"match": [{"uri": {"prefix": "/svc-2"}}], "route": [{"destination": {"host": h2, "port": {"number": 80}}}]},
        ]},
    }


def istio_configs(namespaces):
    h0, h1, h2 = host(0, namespaces), host(1, namespaces), host(2, namespaces)
    subsets = [{"name": "v1", "labels": {"version": "v1"}}, {"name": "v2", "labels": {"version": "v2"}}]
    return [
        ("networking.istio.io/v1", "virtualservices", split_virtual_service(namespaces, 80)),
        ("networking.istio.io/v1", "destinationrules", {
            "apiVersion": "networking.istio.io/v1", "kind": "DestinationRule",
            "metadata": {"name": "svc-0", "namespace": "ns-0"},
            "spec": {"host": h0, "trafficPolicy": {"loadBalancer": {"simple": "LEAST_REQUEST"}},
                     "subsets": subsets}}),
        ("networking.istio.io/v1", "virtualservices", {
            "apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
            "metadata": {"name": "svc-1-headers", "namespace": "ns-1"},
            "spec": {"hosts": [h1], "http": [
                {"match": [{"headers": {"end-user": {"exact": "jason"}}}],
                 "route": [{"destination": {"host": h1, "subset": "v2"}}]},
                {"route": [{"destination": {"host": h1, "subset": "v1"}}], "timeout": "5s",
                 "retries": {"attempts": 2, "perTryTimeout": "2s"}}]}}),
        ("networking.istio.io/v1", "destinationrules", {
            "apiVersion": "networking.istio.io/v1", "kind": "DestinationRule",
            "metadata": {"name": "svc-1", "namespace": "ns-1"},
            "spec": {"host": h1, "trafficPolicy": {
                "connectionPool": {"tcp": {"maxConnections": 100}, "http": {"http2MaxRequests": 1000}},
                "outlierDetection": {"consecutive5xxErrors": 5, "interval": "10s", "baseEjectionTime": "30s"}},
                "subsets": subsets}}),
        ("security.istio.io/v1", "peerauthentications", {
            "apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication",
            "metadata": {"name": "default", "namespace": "istio-system"},
            "spec": {"mtls": {"mode": "PERMISSIVE"}}}),
        ("security.istio.io/v1", "peerauthentications", {
            "apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication",
            "metadata": {"name": "default", "namespace": "ns-1"},
            "spec": {"mtls": {"mode": "STRICT"}}}),
        ("networking.istio.io/v1", "gateways", {
            "apiVersion": "networking.istio.io/v1", "kind": "Gateway",
            "metadata": {"name": "ingress", "namespace": "istio-system"},
            "spec": {"selector": {"istio": "ingressgateway"},
                     "servers": [{"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["*"]}]}}),
        ("networking.istio.io/v1", "virtualservices", ingress_virtual_service(namespaces, 80)),
    ]


def write_yaml_or_json(path, obj):
    # kubectl reads JSON wherever it reads YAML: no YAML library needed.
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=1, sort_keys=True)
        f.write("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kubeconfig", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--services", type=int, default=1000)
    ap.add_argument("--endpoints", type=int, default=2, help="ready endpoints (Pods) per Service")
    ap.add_argument("--namespaces", type=int, default=4)
    ap.add_argument("--proxies", type=int, default=1000, help="lines of workloads.tsv")
    ap.add_argument("--threads", type=int, default=4)
    a = ap.parse_args()
    n, ends, k = a.services, a.endpoints, a.namespaces
    if n < 3 or ends < 1 or k < 2:
        sys.exit("load-cluster.py: need --services >= 3, --endpoints >= 1, --namespaces >= 2")
    if a.proxies > n * ends:
        sys.exit(f"load-cluster.py: --proxies {a.proxies} exceeds the {n * ends} Pods ({n} Services x {ends})")
    if n * ends > 250 * 256 * 128:
        sys.exit("load-cluster.py: too many Pods for 10.128.0.0/9")
    os.makedirs(os.path.join(a.out, "edits"), exist_ok=True)
    api = Api(a.kubeconfig)
    started = time.monotonic()
    pool = ThreadPoolExecutor(max_workers=a.threads)

    def all_of(calls):
        for f in [pool.submit(fn, *args) for fn, *args in calls]:
            f.result()

    namespaces = [f"ns-{j}" for j in range(k)]
    for ns in namespaces + ["istio-system"]:
        api.request("POST", "/api/v1/namespaces",
                    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}, ok=(201, 409))
    api.create("/api/v1/nodes", {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": NODE, "labels": {"topology.kubernetes.io/region": "region-1",
                                              "topology.kubernetes.io/zone": "zone-1"}}})

    all_of((api.create, namespaced("v1", f"ns-{i % k}", "services"), service(i, f"ns-{i % k}")) for i in range(n))
    print(f"load-cluster.py: {n} Services in {time.monotonic() - started:.1f}s", file=sys.stderr)

    uids = {}

    def make_pod(i, e):
        ns = f"ns-{i % k}"
        created = api.create(namespaced("v1", ns, "pods"), pod(i, e, ns))
        uids[(i, e)] = created["metadata"]["uid"]
        api.request("PATCH", namespaced("v1", ns, "pods") + f"/svc-{i}-{e}/status",
                    pod_status(pod_ip(i * ends + e)), content_type="application/merge-patch+json")

    all_of((make_pod, i, e) for i in range(n) for e in range(ends))
    print(f"load-cluster.py: {n * ends} Pods (Running, Ready) in {time.monotonic() - started:.1f}s", file=sys.stderr)

    slices = {}
    for i in range(n):
        slices[i] = endpoint_slice(i, f"ns-{i % k}", ends, uids)
    all_of((api.create, namespaced("discovery.k8s.io/v1", s["metadata"]["namespace"], "endpointslices"), s)
           for s in slices.values())
    print(f"load-cluster.py: {n} EndpointSlices in {time.monotonic() - started:.1f}s", file=sys.stderr)

    configs = istio_configs(k)
    for gv, plural, obj in configs:
        api.create(namespaced(gv, obj["metadata"]["namespace"], plural), obj)
    pool.shutdown()
    api.close()

    # The edits the load generator runs, and their undo (the second control plane must see the first's inputs).
    edits = os.path.join(a.out, "edits")
    write_yaml_or_json(os.path.join(edits, "vs-original.json"), split_virtual_service(k, 80))
    write_yaml_or_json(os.path.join(edits, "vs-edited.json"), split_virtual_service(k, 70))
    write_yaml_or_json(os.path.join(edits, "ingress-vs-original.json"), ingress_virtual_service(k, 80))
    write_yaml_or_json(os.path.join(edits, "ingress-vs-edited.json"), ingress_virtual_service(k, 70))
    eds_service = 2  # http 80 in ns-2
    slice_obj = slices[eds_service]
    write_yaml_or_json(os.path.join(edits, "slice-original.json"), slice_obj)
    edited = copy.deepcopy(slice_obj)
    edited["endpoints"].append({"addresses": [EDS_EDIT_ADDRESS], "nodeName": NODE,
                                "conditions": {"ready": True, "serving": True, "terminating": False}})
    write_yaml_or_json(os.path.join(edits, "slice-edited.json"), edited)

    with open(os.path.join(a.out, "workloads.tsv"), "w", encoding="utf-8") as f:
        f.write("# ip\tpod\tnamespace\tserviceAccount\tlabels\tports\tkind\n")
        for p in range(a.proxies):
            i, e = p % n, (p // n) % ends
            labels = pod(i, e, "")["metadata"]["labels"]
            ports = ",".join(str(t) for t in sorted({t for _, _, t, _ in ports_of(i)}))
            f.write("\t".join([pod_ip(i * ends + e), f"svc-{i}-{e}", f"ns-{i % k}", f"svc-{i}",
                               ",".join(f"{key}={v}" for key, v in labels.items()), ports, "sidecar"]) + "\n")

    summary = {
        "services": n, "endpointsPerService": ends, "namespaces": k, "pods": n * ends, "endpointSlices": n,
        "servicePorts": sum(len(ports_of(i)) for i in range(n)),
        "istioConfigs": {kind: sum(1 for _, _, o in configs if o["kind"] == kind)
                         for kind in sorted({o["kind"] for _, _, o in configs})},
        "proxies": a.proxies,
        "vsEdit": {"namespace": "ns-0", "name": "svc-0-split", "from": "v1 80 / v2 20", "to": "v1 70 / v2 30",
                   "withGateways": "also istio-system/ingress-routes, same weights"},
        "edsEdit": {"namespace": f"ns-{eds_service % k}", "endpointSlice": slice_obj["metadata"]["name"],
                    "addedAddress": EDS_EDIT_ADDRESS, "cluster": f"outbound|80||{host(eds_service, k)}"},
        "loadSeconds": round(time.monotonic() - started, 1),
    }
    write_yaml_or_json(os.path.join(a.out, "summary.json"), summary)
    print(f"load-cluster.py: done in {summary['loadSeconds']}s", file=sys.stderr)


if __name__ == "__main__":
    main()
