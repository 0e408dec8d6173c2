"""Reports: ``results.json``, ``index.html`` and per theorem ``<id>.html``, ``<id>.md`` and
PNG plots (bound vs observed along iterations, fitted slope vs claimed order, margin
histogram)."""
from __future__ import annotations

import html
import json
import os
import shlex
from pathlib import Path
from typing import Any, Iterable

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from checks.coverage import coverage_counts  # noqa: E402
from checks.theorem import Theorem  # noqa: E402

CSS = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f3}.confirmed{color:#17692e;font-weight:bold}.refuted{color:#a15c00;font-weight:bold}
.error{color:#b00020;font-weight:bold}code,pre{background:#f6f6f6;padding:2px 4px}pre{white-space:pre-wrap}
img{max-width:100%;border:1px solid #ddd;margin:6px 0}"""


def reproduce_command(theorem_id: str, instance: dict | None) -> str:
    """Shell command that re-evaluates one instance."""
    if instance is None:
        return ""
    return f"claimcheck check {theorem_id} --instance {shlex.quote(json.dumps(instance))}"


def fmt(x: Any, spec: str = ".3g") -> str:
    if x is None:
        return "—"
    if isinstance(x, str):
        return x
    return format(x, spec)


def write_reports(results: list[dict], registry: dict[str, type[Theorem]], out: Path,
                  extra_json: dict | None = None) -> list[Path]:
    """Write every report file for ``results`` (dicts of :class:`~checks.runner.Result`)."""
    out.mkdir(parents=True, exist_ok=True)
    written = [_atomic_write(out / "results.json", json.dumps(results, indent=1))]
    power = load_power(out)
    results = [dict(r, power=power.get(r["id"])) for r in results]
    for res in results:
        thm = registry.get(res["id"])
        plots = plot_result(res, out)
        written += plots
        written.append(_atomic_write(out / f"{res['id']}.md", render_markdown(res, thm, plots)))
        written.append(_atomic_write(out / f"{res['id']}.html", render_page(res, thm, plots)))
    written.append(_atomic_write(out / "index.html", render_index(results, registry)))
    return written


def load_power(out: Path) -> dict[str, dict]:
    """Power records by theorem id from ``out/power.json`` (written by ``claimcheck power``)."""
    path = out / "power.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _atomic_write(path: Path, text: str) -> Path:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def plot_result(res: dict, out: Path) -> list[Path]:
    """PNG plots for one result; returns their paths."""
    paths = []
    tr = res.get("trace")
    if tr:
        fig, ax = plt.subplots(figsize=(6, 4))
        if tr.get("fit"):
            _plot_rate(ax, tr)
        else:
            ax.plot(tr["x"], tr["observed"], "o-", ms=3, label="observed (solver)")
            if tr.get("predicted") is not None:
                ax.plot(tr["x"], tr["predicted"], "--", label="predicted (paper)")
            ax.set_xscale("log" if tr.get("logx") else "linear")
            ax.set_yscale("log" if tr.get("logy") else "linear")
        ax.set_xlabel(tr.get("xlabel", "")), ax.set_ylabel(tr.get("ylabel", ""))
        ax.set_title(f"{res['id']}: worst instance")
        ax.legend()
        fig.tight_layout()
        paths.append(out / f"{res['id']}_trace.png")
        fig.savefig(paths[-1], dpi=90)
        plt.close(fig)
    camp = res.get("campaign")
    if camp and camp.get("worst_over_time"):
        pts = [(t, m) for t, m in camp["worst_over_time"] if m is not None]
        if pts:
            fig, ax = plt.subplots(figsize=(6, 3.2))
            ax.step([t for t, _ in pts], [m for _, m in pts], where="post")
            ax.axhline(0, color="#b00020", lw=1)
            ax.set_xlabel("campaign time (s)"), ax.set_ylabel("worst margin so far")
            ax.set_title(f"{res['id']}: worst margin found over time")
            fig.tight_layout()
            paths.append(out / f"{res['id']}_campaign.png")
            fig.savefig(paths[-1], dpi=90)
            plt.close(fig)
    margins = [m for m in res.get("margins", []) if m is not None and abs(m) < 1e299]
    if margins:
        fig, ax = plt.subplots(figsize=(6, 3.2))
        ax.hist(margins, bins=min(30, max(5, len(margins) // 2)), color="#4a7bb7")
        ax.axvline(0, color="#b00020", lw=1, label="claim boundary (margin 0)")
        nc = res.get("negative_control") or {}
        if nc.get("margin") is not None:
            # the control's margin can be -1e10; pin it to the left edge and print its value
            lo = min(min(margins), 0.0)
            span = max(max(margins) - lo, 1e-3)
            shown = max(nc["margin"], lo - 0.15 * span)
            ax.axvline(shown, color="#a15c00", ls="--",
                       label=f"negative control (margin {nc['margin']:.3g})")
        ax.set_xlabel("margin (> 0 holds)"), ax.set_ylabel("examples")
        ax.set_title(f"{res['id']}: margins over {len(margins)} examples")
        ax.legend(fontsize=8)
        fig.tight_layout()
        paths.append(out / f"{res['id']}_margins.png")
        fig.savefig(paths[-1], dpi=90)
        plt.close(fig)
    return paths


def _plot_rate(ax, tr: dict) -> None:
    import numpy as np

    x, y, fit = np.asarray(tr["x"]), np.asarray(tr["observed"]), tr["fit"]
    ax.plot(x, y, "o", label="log error (solver)")
    ax.plot(x, fit["intercept"] + fit["slope"] * x, "-",
            label=f"fit: slope {fit['slope']:.2f} ± {fit['stderr']:.2f}")
    ref = fit["intercept"] + fit["slope"] * x.mean() + fit["predicted"] * (x - x.mean())
    ax.plot(x, ref, "--", label=f"claimed order {fit['predicted']:g}")


def power_summary(power: dict) -> str:
    """'5/6 (83%); survived: x0.5' for a theorem's mutation-analysis record."""
    n, k = power["applicable"], power["detected"]
    pct = f" ({100 * k / n:.0f}%)" if n else ""
    survived = ", ".join(m["name"] for m in power["mutants"] if m["applicable"] and not m["detected"])
    text = f"{k}/{n}{pct}" + (f"; survived: {survived}" if survived else "")
    if power.get("tightness") is not None:
        text += f"; tightness {power['tightness']:.3g}"
    if power.get("certificate_ratio") is not None:
        text += f"; certificate value/bound {power['certificate_ratio']:.3g}"
    return text


def _status_span(res: dict) -> str:
    s = res["status"]
    note = " (expected)" if s == "refuted" and res.get("expected") == "refuted" else ""
    return f'<span class="{s}">{s}{note}</span>'


def render_index(results: list[dict], registry: dict[str, type[Theorem]]) -> str:
    """One row per theorem, with the seed coverage counts."""
    rows = []
    for r in results:
        nc = r.get("negative_control") or {}
        rows.append(
            f"<tr><td><a href=\"{html.escape(r['id'])}.html\">{html.escape(r['id'])}</a></td>"
            f"<td>{html.escape(r['paper'])}</td><td>{r['kind']}</td><td>{_status_span(r)}</td>"
            f"<td>{fmt(r.get('worst_margin'))}</td><td>{fmt(r.get('tightness'))}</td>"
            f"<td>{'fired' if nc.get('fired') else 'did not fire'} "
            f"({html.escape(str(nc.get('assumption', '')))})</td>"
            f"<td>{html.escape(power_summary(r['power'])) if r.get('power') else '—'}</td>"
            f"<td>{r['examples']}</td><td>{r['seconds']:.1f}</td></tr>")
    counts = coverage_counts(registry)
    cov_rows = "".join(
        f"<tr><td>{html.escape(seed)}</td><td>{c['papers']}</td><td>{c['covered']}</td>"
        f"<td>{c['explained']}</td><td>{c['open']}</td></tr>" for seed, c in counts.items())
    summary = {s: sum(r["status"] == s for r in results) for s in ("confirmed", "refuted", "error")}
    camps = [r["campaign"] for r in results if r.get("campaign")]
    campaign = (f"<p>Fuzz campaign: {sum(c['shards'] for c in camps)} shards, "
                f"{sum(c['examples'] for c in camps)} examples.</p>" if camps else "")
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>claimcheck report</title>
<style>{CSS}</style></head><body><h1>claimcheck report</h1>
<p>{len(results)} theorems: {summary['confirmed']} confirmed, {summary['refuted']} refuted,
{summary['error']} errors. Margin &gt; 0 means the claim held with room to spare; tightness is
max observed/predicted for bounds (1 = attained); power is the share of mutated predictions
(wrong constants, exponents, terms) the check detects (`claimcheck power`).</p>{campaign}
<table><tr><th>id</th><th>paper</th><th>kind</th><th>status</th><th>worst margin</th>
<th>tightness</th><th>negative control</th><th>power</th><th>examples</th><th>seconds</th></tr>
{''.join(rows)}</table>
<h2>Seed coverage</h2><table><tr><th>seed file</th><th>papers</th><th>covered by theorems</th>
<th>explained (no checkable claim)</th><th>not yet encoded</th></tr>{cov_rows}</table>
</body></html>"""


def _seconds(res: dict) -> str:
    """Total seconds, the phases, and the part of them numba spent compiling or loading."""
    t = dict(res.get("timings", {}))
    jit = t.pop("jit", None)
    text = f"{res['seconds']:.2f} ({', '.join(f'{k} {v:.2f}' for k, v in t.items())})"
    return text if jit is None else f"{text}; of which numba compile/cache load {jit:.2f}"


def _facts(res: dict, thm: type[Theorem] | None) -> list[tuple[str, str]]:
    nc = res.get("negative_control") or {}
    facts = [("status", res["status"] + (" (expected refutation)" if res.get("expected") == "refuted" else "")),
             ("profile", res.get("profile", "")), ("examples", str(res["examples"])),
             ("worst margin", fmt(res.get("worst_margin"))), ("worst case", res.get("worst_detail", "")),
             ("tightness (max observed/predicted)", fmt(res.get("tightness"))),
             ("negative control", f"{'fired' if nc.get('fired') else 'DID NOT FIRE'} by breaking "
              f"'{nc.get('assumption')}' after {nc.get('examples')} examples: {nc.get('detail', '')}"),
             ("seconds", _seconds(res))]
    if res.get("message"):
        facts.append(("message", res["message"]))
    camp = res.get("campaign")
    if camp:
        facts.append(("fuzz campaign", f"{camp['shards']} shards, {camp['examples']} examples, "
                      f"{camp['examples_per_second']:.1f} examples/s"))
    if res.get("power"):
        facts.append(("power (mutants detected)", power_summary(res["power"])))
    if thm is not None:
        facts = [("paper", f"{thm.paper.title} — {thm.paper.authors} ({thm.paper.year}), "
                  f"arXiv {thm.paper.arxiv}, seed {thm.paper.seed}"),
                 ("source", thm.source), ("provenance", thm.provenance), ("kind", thm.kind)] + facts
    return facts


def render_markdown(res: dict, thm: type[Theorem] | None, plots: Iterable[Path]) -> str:
    """The per-theorem report as Markdown."""
    lines = [f"# {res['id']}", ""]
    if thm is not None:
        lines += [thm.statement.strip(), ""]
        if thm.formula is not None:
            lines += [f"Prediction: $${thm.latex()}$$", ""]
        lines += ["## Assumptions", ""] + [
            f"- **{k}**{' (broken by the negative control)' if k == thm.violated else ''}: {v}"
            for k, v in thm.assumptions.items()] + [""]
    lines += ["## Result", ""] + [f"- **{k}**: {v}" for k, v in _facts(res, thm)] + [""]
    lines += _instances_md(res)
    cert = res.get("certificate")
    if cert:
        lines += ["## Certificate", "", f"{'holds' if cert['holds'] else 'FAILS'}: "
                  f"value {cert['value']:.6g} vs bound {cert['bound']:.6g} (ratio {cert['ratio']:.4g}). "
                  f"{cert['detail']}", ""]
        if cert.get("table"):
            keys = list(cert["table"][0])
            lines += ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
            lines += ["| " + " | ".join(fmt(row[k], ".6g") for k in keys) + " |" for row in cert["table"]]
            lines.append("")
    lines += [f"![{p.stem}]({p.name})" for p in plots]
    return "\n".join(lines) + "\n"


def _instances_md(res: dict) -> list[str]:
    out = []
    for title, inst in (("Worst instance", res.get("worst_instance")),
                        ("Counterexample (within the assumptions)", (res.get("counterexample") or {}).get("instance")),
                        ("Negative-control counterexample", (res.get("negative_control") or {}).get("instance"))):
        if inst is not None:
            out += [f"## {title}", "", "```", json.dumps(inst), "```", "", "Reproduce:", "",
                    "```", reproduce_command(res["id"], inst), "```", ""]
    return out


def render_page(res: dict, thm: type[Theorem] | None, plots: Iterable[Path]) -> str:
    """The per-theorem report as HTML."""
    body = [f"<h1>{html.escape(res['id'])} — {_status_span(res)}</h1>", '<p><a href="index.html">all theorems</a></p>']
    if thm is not None:
        body.append(f"<p>{html.escape(thm.statement.strip())}</p>")
        if thm.formula is not None:
            body.append(f"<p>Prediction (sympy, LaTeX): <code>{html.escape(thm.latex())}</code></p>")
        body.append("<h2>Assumptions</h2><ul>" + "".join(
            f"<li><b>{html.escape(k)}</b>{' <i>(broken by the negative control)</i>' if k == thm.violated else ''}: "
            f"{html.escape(v)}</li>" for k, v in thm.assumptions.items()) + "</ul>")
    body.append("<h2>Result</h2><table>" + "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in _facts(res, thm)) + "</table>")
    for title, inst in (("Worst instance", res.get("worst_instance")),
                        ("Counterexample (within the assumptions)", (res.get("counterexample") or {}).get("instance")),
                        ("Negative-control counterexample", (res.get("negative_control") or {}).get("instance"))):
        if inst is not None:
            body.append(f"<h2>{title}</h2><pre>{html.escape(json.dumps(inst))}</pre>"
                        f"<p>Reproduce:</p><pre>{html.escape(reproduce_command(res['id'], inst))}</pre>")
    cert = res.get("certificate")
    if cert:
        body.append(f"<h2>Certificate</h2><p>{'holds' if cert['holds'] else 'FAILS'}: value {cert['value']:.6g} vs "
                    f"bound {cert['bound']:.6g} (ratio {cert['ratio']:.4g}). {html.escape(cert['detail'])}</p>")
        if cert.get("table"):
            keys = list(cert["table"][0])
            body.append("<table><tr>" + "".join(f"<th>{html.escape(k)}</th>" for k in keys) + "</tr>" + "".join(
                "<tr>" + "".join(f"<td>{fmt(row[k], '.6g')}</td>" for k in keys) + "</tr>" for row in cert["table"]) + "</table>")
    body += [f'<h2>{p.stem.split("_")[-1]}</h2><img src="{p.name}" alt="{p.stem}">' for p in plots]
    return (f'<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(res["id"])}</title>'
            f"<style>{CSS}</style></head><body>{''.join(body)}</body></html>")
