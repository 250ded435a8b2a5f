#!/usr/bin/env python3
"""The side-by-side benchmark's report (tools/scale/side-by-side.sh): reads each control plane's measures.env and
loadgen.json under <work>/runs/, prints a table with the ratio istiod-java/upstream for every number, checks that
both sent every proxy the same number of resources per type, and writes the table as Markdown and the numbers as
JSON to <results-dir>/side-by-side-<date>-<commit>-<services>x<proxies>.{md,json}."""
import argparse
import json
import os
import platform
import subprocess
import sys
import time

NAMES = ("upstream", "istiod-java")
TYPES = ("CDS", "EDS", "LDS", "RDS")
MIB = 1024.0


def read_env(path):
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            key, _, value = line.rstrip("\n").partition("=")
            out[key] = value
    return out


def load_run(work, name):
    d = os.path.join(work, "runs", name)
    if not os.path.exists(os.path.join(d, "measures.env")):
        return None
    m = read_env(os.path.join(d, "measures.env"))
    with open(os.path.join(d, "loadgen.json"), encoding="utf-8") as f:
        lg = json.load(f)
    with open(os.path.join(d, "command.txt"), encoding="utf-8") as f:
        command = f.read().split("\n")[:-1]
    phases = {p["name"]: p for p in lg.get("phases", [])}
    f = float
    run = {
        "version": m["version"], "command": command,
        "readySeconds": round(f(m["readyEpoch"]) - f(m["startEpoch"]), 3),
        "readyCpuSeconds": f(m["readyCpuSeconds"]),
        "rssReadyMiB": int(m["rssReadyKb"]) / MIB, "hwmReadyMiB": int(m["hwmReadyKb"]) / MIB,
        "idleCpuSeconds": round(f(m["idleCpuEnd"]) - f(m["idleCpuStart"]), 2),
        "rssRestMiB": int(m["rssRestKb"]) / MIB, "hwmRestMiB": int(m["hwmRestKb"]) / MIB,
        "rssEndMiB": int(m["rssEndKb"]) / MIB, "hwmEndMiB": int(m["hwmEndKb"]) / MIB,
        "loadgenExit": int(m["loadgenExit"]), "loadBefore": m["loadBefore"], "loadAfter": m["loadAfter"],
        "loadgenOk": lg.get("ok"), "invalidResponses": lg.get("invalidResponses"),
        "streamFailuresByStatus": lg.get("streamFailuresByStatus"), "problems": lg.get("problems", []),
        "phases": phases,
    }
    return run


def phase(run, name, *path):
    v = run["phases"].get(name)
    for key in path:
        if v is None:
            return None
        v = v.get(key)
    return v


def rows(idle_seconds, proxies):
    """(label, getter, decimals); every getter takes a run and returns a number or None."""
    r = [
        ("start -> /ready (s)", lambda x: x["readySeconds"], 2),
        ("CPU-seconds to get ready", lambda x: x["readyCpuSeconds"], 2),
        ("VmRSS at ready (MiB)", lambda x: x["rssReadyMiB"], 0),
        (f"idle CPU-seconds over {idle_seconds} s", lambda x: x["idleCpuSeconds"], 2),
        ("VmRSS at rest, after the idle window (MiB)", lambda x: x["rssRestMiB"], 0),
        ("VmHWM at rest (MiB)", lambda x: x["hwmRestMiB"], 0),
    ]
    for ph, what in (("initial", "initial config (all four types)"), ("vs-edit", "VirtualService edit"),
                     ("eds-edit", "endpoint change (EDS)")):
        r += [
            (f"{ph}: proxies converged (of {proxies}+gateways)", lambda x, ph=ph: phase(x, ph, "converged"), 0),
            (f"{ph}: last proxy has the {what} (s)", lambda x, ph=ph: phase(x, ph, "convergenceSeconds"), 3),
            (f"{ph}: per proxy p50 (ms)", lambda x, ph=ph: phase(x, ph, "latencyMs", "p50"), 1),
            (f"{ph}: per proxy p99 (ms)", lambda x, ph=ph: phase(x, ph, "latencyMs", "p99"), 1),
            (f"{ph}: per proxy max (ms)", lambda x, ph=ph: phase(x, ph, "latencyMs", "max"), 1),
            (f"{ph}: istiod CPU-seconds until converged",
             lambda x, ph=ph: phase(x, ph, "controlPlane", "cpuSecondsToConvergence"), 2),
            (f"{ph}: istiod CPU-seconds over the phase", lambda x, ph=ph: phase(x, ph, "controlPlane", "cpuSeconds"), 2),
            (f"{ph}: ADS streams refused or broken (reopened)", lambda x, ph=ph: phase(x, ph, "streamFailures"), 0),
        ]
    r += [
        ("VmRSS with every proxy connected, after initial (MiB)",
         lambda x: mib(phase(x, "initial", "controlPlane", "rssBytes")), 0),
        ("VmRSS under load, end of the last phase (MiB)",
         lambda x: mib(phase(x, last_phase(x), "controlPlane", "rssBytes")), 0),
        ("VmHWM (peak) under load (MiB)", lambda x: mib(phase(x, last_phase(x), "controlPlane", "hwmBytes")), 0),
        ("VmRSS after the proxies disconnected (MiB)", lambda x: x["rssEndMiB"], 0),
    ]
    for t in TYPES:
        r.append((f"{t} resources per proxy (median)", lambda x, t=t: phase(x, "initial", "types", t, "heldMedian"), 0))
    for t in TYPES:
        r.append((f"{t} bytes per proxy (median, KiB)",
                  lambda x, t=t: kib(phase(x, "initial", "types", t, "heldBytesMedian")), 1))
    r.append(("invalid (NACKed) responses", lambda x: x["invalidResponses"], 0))
    return r


def last_phase(run):
    return list(run["phases"])[-1] if run["phases"] else None


def mib(b):
    return None if b is None else b / 1048576.0


def kib(b):
    return None if b is None else b / 1024.0


def fmt(v, decimals):
    if v is None:
        return "—"
    return f"{v:,.{decimals}f}"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def count_check(runs):
    """Lines comparing resources per proxy per type (median and max, after the initial phase)."""
    up, java = runs.get("upstream"), runs.get("istiod-java")
    if not up or not java:
        return True, ["resource counts: only one control plane ran; nothing to compare"]
    equal, parts = True, []
    for t in TYPES:
        for stat in ("heldMedian", "heldMax"):
            a = phase(up, "initial", "types", t, stat)
            b = phase(java, "initial", "types", t, stat)
            if a != b:
                equal = False
        parts.append(f"{t} {phase(up, 'initial', 'types', t, 'heldMedian')}"
                     f"/{phase(java, 'initial', 'types', t, 'heldMedian')}")
    if equal:
        return True, ["resource counts per proxy equal (upstream/istiod-java, median; max equal too): " + ", ".join(parts)]
    return False, [
        "WARNING " + "!" * 60,
        "WARNING: resource counts per proxy DIFFER between the control planes (upstream/istiod-java, median): "
        + ", ".join(parts),
        "WARNING: the two columns did not serve the same configuration; their timings are not comparable.",
        "WARNING " + "!" * 60,
    ]


def main():
    ap = argparse.ArgumentParser()
    for name in ("work", "results-dir", "commit", "load-start", "load-end", "loadgen", "jvm-flags"):
        ap.add_argument("--" + name, required=True)
    ap.add_argument("--connect-rate", type=float, default=0)
    ap.add_argument("--tag", default="", help="appended to the results' file name")
    ap.add_argument("--control-plane-env", default="", help="NAME=VALUE ... set for both control planes")
    for name in ("proxies", "gateways", "delta-percent", "idle-seconds", "settle-seconds"):
        ap.add_argument("--" + name, type=int, required=True)
    a = ap.parse_args()
    with open(os.path.join(a.work, "data", "summary.json"), encoding="utf-8") as f:
        summary = json.load(f)
    runs = {n: load_run(a.work, n) for n in NAMES}
    runs = {n: r for n, r in runs.items() if r is not None}
    if not runs:
        sys.exit("report.py: no control plane finished")
    date = time.strftime("%Y-%m-%d", time.gmtime())
    jdk = subprocess.run([os.path.join(os.environ.get("JAVA_HOME", "/usr"), "bin", "java"), "-version"],
                         capture_output=True, text=True).stderr.splitlines()
    meta = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "commit": a.commit,
        "nproc": os.cpu_count(), "loadAverageStart": a.load_start, "loadAverageEnd": a.load_end,
        "kernel": platform.release(), "jdk": jdk[0] if jdk else "unknown",
        "services": summary["services"], "pods": summary["pods"], "namespaces": summary["namespaces"],
        "servicePorts": summary["servicePorts"], "istioConfigs": summary["istioConfigs"],
        "proxies": a.proxies, "gateways": a.gateways, "deltaPercent": a.delta_percent, "connectRate": a.connect_rate,
        "idleSeconds": a.idle_seconds, "settleSeconds": a.settle_seconds,
        "istiodJavaJvmFlags": a.jvm_flags, "loadgen": a.loadgen,
        "vsEdit": summary["vsEdit"], "edsEdit": summary["edsEdit"],
        "controlPlaneEnv": a.control_plane_env.split(),
    }
    equal, check = count_check(runs)

    table = [("", "upstream", "istiod-java", "ratio")]
    numbers = []
    for label, get, dec in rows(a.idle_seconds, a.proxies):
        vals = {n: get(runs[n]) if n in runs else None for n in NAMES}
        rt = ratio(vals["istiod-java"], vals["upstream"])
        table.append((label, fmt(vals["upstream"], dec), fmt(vals["istiod-java"], dec),
                      "—" if rt is None else f"{rt:.2f}"))
        numbers.append({"metric": label, "upstream": vals["upstream"], "istiod-java": vals["istiod-java"],
                        "ratio": None if rt is None else round(rt, 3)})

    head = (f"commit {meta['commit']}, {meta['date']}, {meta['nproc']} CPUs, load average "
            f"{meta['loadAverageStart']} at the start, {meta['loadAverageEnd']} at the end; {meta['jdk']}")
    configs = ", ".join(f"{c} {kind}" for kind, c in meta["istioConfigs"].items())
    streams = f"{a.connect_rate:g} new streams/s" if a.connect_rate else "all streams opened at once"
    sizes = (f"{meta['services']} Services ({meta['servicePorts']} ports) x {summary['endpointsPerService']} ready "
             f"endpoints ({meta['pods']} Pods) in {meta['namespaces']} namespaces; {configs}; "
             f"{a.proxies} sidecars + {a.gateways} gateways ({a.delta_percent}% delta, {streams})")
    versions = "; ".join(f"{n} {r['version']}" for n, r in runs.items())
    if meta["controlPlaneEnv"]:
        versions += "; both with " + " ".join(meta["controlPlaneEnv"])
    width = max(len(r[0]) for r in table)
    print()
    print("== side-by-side: " + head)
    print("   " + sizes)
    print("   " + versions)
    for r in table:
        print(f"{r[0]:<{width}}  {r[1]:>12}  {r[2]:>12}  {r[3]:>7}")
    for line in check:
        print(line)
    for n, r in runs.items():
        if r["loadgenExit"] != 0 or not r["loadgenOk"]:
            print(f"NOTE: {n}: the load generator reported failure (exit {r['loadgenExit']}): "
                  f"{'; '.join(r['problems'][:3])}")

    os.makedirs(a.results_dir, exist_ok=True)
    base = os.path.join(a.results_dir, f"side-by-side-{date}-{a.commit}-{meta['services']}x{a.proxies}{a.tag}")
    with open(base + ".md", "w", encoding="utf-8") as f:
        f.write(f"# Side by side: upstream istiod and istiod-java, {meta['services']} Services x {a.proxies} proxies\n\n")
        f.write(f"{head}.\n\n{sizes}.\n\n{versions}.\n\n")
        f.write("Written by `tools/scale/side-by-side.sh`; ratio = istiod-java / upstream (below 1: istiod-java "
                "is faster, lighter or sends less). One run, not a mean.\n\n")
        f.write("| " + " | ".join(table[0]) + " |\n| --- | ---: | ---: | ---: |\n")
        for r in table[1:]:
            f.write("| " + " | ".join(r) + " |\n")
        f.write("\n" + "\n".join(check) + "\n\n")
        f.write(f"istiod-java JVM flags: `{a.jvm_flags}`.\n\n")
        for n, r in runs.items():
            f.write(f"{n}: `{' '.join(r['command'])}` (load average {r['loadBefore']} before, {r['loadAfter']} after; "
                    f"load generator exit {r['loadgenExit']}).\n\n")
    doc = {"meta": meta, "countsEqual": equal, "metrics": numbers,
           "runs": {n: {k: v for k, v in r.items() if k != "phases"} | {"loadgen": r["phases"]} for n, r in runs.items()}}
    with open(base + ".json", "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"written: {base}.md and .json")


if __name__ == "__main__":
    main()
