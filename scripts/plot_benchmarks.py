#!/usr/bin/env python3
"""Turn criterion results into BENCHMARKS.md's tables and docs/benchmarks.png.

Reads target/criterion/**/new/{benchmark,estimates}.json (the last `cargo bench` run of each
benchmark) and uses the median of each. In benches/session.rs function ids are
`impl/operation`, impl being crosswire, vodozemac or floor (the "floor" group of raw primitives
has bare names); benches/media.rs groups are `media/{encrypt,decrypt}/SIZE`.

    cargo bench -p crosswire-bench --bench session
    cargo bench -p crosswire-bench --bench media          # optional: adds the media table and panel
    python3 scripts/plot_benchmarks.py --update BENCHMARKS.md

Without --update the tables go to stdout. Needs matplotlib (pip install matplotlib).
"""

import argparse
import json
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
IMPLS = ("crosswire", "vodozemac", "floor")
START, END = "<!-- table:start -->", "<!-- table:end -->"
GROUP_ORDER = [
    "setup",
    "encrypt_in_order",
    "decrypt_in_order",
    "ping_pong",
    "out_of_order",
    "serialization",
    "prekeys",
]


def load(criterion_dir):
    """Every benchmark as a dict: group, function, value, median (ns), bytes (or None)."""
    rows = []
    for bench in sorted(criterion_dir.glob("**/new/benchmark.json")):
        meta = json.loads(bench.read_text())
        estimates = json.loads((bench.parent / "estimates.json").read_text())
        rows.append(
            {
                "group": meta["group_id"],
                "function": meta["function_id"] or "",
                "value": meta.get("value_str") or "",
                "median": estimates["median"]["point_estimate"],
                "bytes": (meta.get("throughput") or {}).get("Bytes"),
            }
        )
    return rows


def natural(key):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", key)]


def fmt_time(ns):
    if ns is None:
        return ""
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.1f} µs"
    return f"{ns:.0f} ns"


def fmt_ratio(a, b):
    return f"{a / b:.2f}x" if a is not None and b else ""


def session_results(rows):
    """{(group, operation): {impl: median}} for benches/session.rs."""
    out = {}
    for r in rows:
        if r["group"].startswith("media/"):
            continue
        impl, _, op = r["function"].partition("/")
        if impl not in IMPLS:
            impl, op = "floor", r["function"]
        if r["value"]:
            op = f"{op}/{r['value']}" if op else r["value"]
        out.setdefault((r["group"], op), {})[impl] = r["median"]
    return out


def session_table(results):
    lines = [
        "| group | operation | crosswire | vodozemac | floor | crosswire / floor "
        "| crosswire / vodozemac |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]

    def order(key):
        group, op = key
        rank = GROUP_ORDER.index(group) if group in GROUP_ORDER else len(GROUP_ORDER)
        return (rank, group, natural(op))

    for group, op in sorted(results, key=order):
        if group == "floor":
            continue
        r = results[(group, op)]
        cw, vz, fl = (r.get(i) for i in IMPLS)
        lines.append(
            f"| {group} | {op} | {fmt_time(cw)} | {fmt_time(vz)} | {fmt_time(fl)} "
            f"| {fmt_ratio(cw, fl)} | {fmt_ratio(cw, vz)} |"
        )
    prims = sorted(
        ((op, r["floor"]) for (g, op), r in results.items() if g == "floor"),
        key=lambda p: natural(p[0]),
    )
    if prims:
        lines += ["", "| raw primitive (group `floor`) | median |", "| --- | ---: |"]
        lines += [f"| {op} | {fmt_time(ns)} |" for op, ns in prims]
    return lines


def media_rows(rows):
    """[(kind, function, bytes, GB/s)] for benches/media.rs."""
    out = []
    for r in rows:
        if r["group"].startswith("media/") and r["bytes"]:
            kind = r["group"].rsplit("/", 1)[0]
            out.append((kind, r["function"], r["bytes"], r["bytes"] / r["median"]))
    return sorted(out, key=lambda m: (m[0], m[2], m[1]))


def media_table(media):
    if not media:
        return []
    lines = ["", "| media | function | size | throughput |", "| --- | --- | ---: | ---: |"]
    for kind, function, nbytes, gbps in media:
        lines.append(f"| {kind} | {function} | {nbytes / 2**20:.0f} MiB | {gbps:.2f} GB/s |")
    return lines


def size_label(nbytes):
    for unit, scale in (("MiB", 2**20), ("KiB", 2**10)):
        if nbytes >= scale and nbytes % scale == 0:
            return f"{nbytes // scale} {unit}"
    return f"{nbytes} B"


def plot(results, media, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    kinds = sorted({kind for kind, *_ in media}, reverse=True)  # encrypt, then decrypt
    fig, axes = plt.subplots(1, 1 + len(kinds), figsize=(7 + 5.5 * len(kinds), 6.2), squeeze=False)
    ax = axes[0][0]
    styles = {"crosswire": ("-", "o"), "vodozemac": ("--", "s"), "floor": (":", "^")}
    colors = {"encrypt_in_order": "tab:blue", "decrypt_in_order": "tab:orange"}
    sizes = set()
    for group, color in colors.items():
        for impl in IMPLS:
            pts = sorted(
                (int(op), r[impl])
                for (g, op), r in results.items()
                if g == group and impl in r and op.isdigit()
            )
            if pts:
                xs, ys = zip(*pts)
                sizes.update(xs)
                line, marker = styles[impl]
                ax.plot(
                    xs,
                    [y / 1e3 for y in ys],
                    line,
                    marker=marker,
                    color=color,
                    label=f"{group.split('_')[0]}: {impl}",
                )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(sorted(sizes), [size_label(x) for x in sorted(sizes)])
    ax.minorticks_off()
    ax.set_xlabel("plaintext size")
    ax.set_ylabel("time per message (µs, median, log scale)")
    ax.set_title("One in-order message")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8)

    for ax, kind in zip(axes[0][1:], kinds):
        series = {}
        for k, function, nbytes, gbps in media:
            if k == kind:
                series.setdefault(function, []).append((nbytes, gbps))
        xs_all = set()
        raw_colors = {"raw/aes-gcm": "tab:red", "raw/aes-gcm+sha256": "tab:purple"}
        own_colors = iter(["tab:blue", "tab:orange", "tab:green", "tab:cyan"])
        for function, pts in sorted(series.items()):
            xs, ys = zip(*sorted(pts))
            xs_all.update(xs)
            raw = function.startswith("raw/")
            color = raw_colors.get(function, "tab:brown") if raw else next(own_colors, "tab:gray")
            ax.plot(
                xs,
                ys,
                "--" if raw else "-",
                marker="^" if raw else "o",
                color=color,
                label=function,
            )
        ax.set_xscale("log")
        ax.set_xticks(sorted(xs_all), [size_label(x) for x in sorted(xs_all)])
        ax.minorticks_off()
        ax.set_xlabel("attachment size")
        ax.set_ylabel("throughput (GB/s, median)")
        ax.set_title(f"Attachments: {kind.split('/')[-1]}")
        ax.set_ylim(bottom=0)
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2)

    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--criterion", default=ROOT / "target" / "criterion", type=pathlib.Path)
    ap.add_argument("--png", default=ROOT / "docs" / "benchmarks.png", type=pathlib.Path)
    ap.add_argument("--update", type=pathlib.Path, help="replace the tables between markers")
    args = ap.parse_args()
    rows = load(args.criterion)
    if not rows:
        sys.exit(f"no criterion results under {args.criterion}; run cargo bench first")
    results, media = session_results(rows), media_rows(rows)
    text = "\n".join(session_table(results) + media_table(media))
    if args.update:
        doc = args.update.read_text()
        if START not in doc or END not in doc:
            sys.exit(f"{args.update} lacks the {START} / {END} markers")
        head, rest = doc.split(START, 1)
        _, tail = rest.split(END, 1)
        args.update.write_text(f"{head}{START}\n{text}\n{END}{tail}")
    else:
        print(text)
    plot(results, media, args.png)
    print(f"wrote {args.png}", file=sys.stderr)


if __name__ == "__main__":
    main()
