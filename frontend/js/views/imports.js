// #/import — staff: upload a MARC or CSV file to bring books into the catalog, and the recent imports.
// #/import/:id — one import, step by step: the CSV column mapping, the preview (a dry run: totals per outcome,
// the first problems and duplicates), the duplicate policy and the commit, a progress bar while its job runs
// (asked again every second), and the report with the rejected records to download, fix and import again.
// The markup is built here (el()), so the screen's words and structure are in one place.

import {
  cancelImport, commitImport, getImport, getWorkerStatus, listImports, previewImport, rejectedRecordsUrl, uploadImport,
} from "../api.js";
import { el, inlineProblem, isAbort, loadForView, showLoading } from "../dom.js";
import { formatDateTime } from "../format.js";
import { t, tn } from "../i18n.js";
import {
  FORMAT_LABELS, OUTCOMES, POLICIES, formatBytes, importStep, isRunning, mappingFormValues, mappingFromForm,
  progressOf, progressText, recordLabel, resultFigures,
} from "../intake.js";

const POLL_MS = 1000;
const STATE_LABELS = {
  uploaded: "Waiting for the column mapping", previewing: "Checking the file", previewed: "Ready to import",
  importing: "Importing", done: "Imported", failed: "Failed", cancelled: "Cancelled",
};

export async function render(ctx) {
  if (ctx.params.id) return renderImport(ctx);
  return renderStart(ctx);
}

// ---- #/import: upload and the recent imports ----

function renderStart(ctx) {
  const file = el("input", { id: "import-file", name: "file", type: "file", required: true, "aria-describedby": "import-file-hint",
    accept: ".mrc,.marc,.iso,.xml,.marcxml,.csv,.tsv,.txt" });
  const status = el("p", { className: "notice", role: "status" });
  const problem = el("div");
  const bar = el("progress", { max: "100", value: "0", hidden: true, "aria-label": t("Upload progress") });
  const submit = el("button", { type: "submit", className: "button", text: t("Upload and check") });
  const form = el("form", { className: "stack-form import-upload", novalidate: true },
    el("div", { className: "field" },
      el("label", { for: "import-file", text: t("File to import") }),
      el("p", { className: "hint", id: "import-file-hint",
        text: t("MARC 21 (.mrc, MARC-8 or UTF-8) or MARCXML from Koha, Evergreen or another library system, or a CSV file (a Libib export, a spreadsheet saved as CSV). Up to 256 MB. Nothing is added before you have seen the preview.") }),
      file),
    el("div", { className: "actions" }, submit), bar, status, problem);
  const recent = el("div");
  const view = el("section", { className: "view view-imports", dataset: { view: "imports" } },
    el("h1", { tabindex: "-1", text: t("Import books") }),
    el("p", { className: "lede", text: t("Bring a catalog in from another system or a spreadsheet. To take books out, use Export on the catalog page.") }),
    form,
    el("section", { "aria-labelledby": "imports-recent" }, el("h2", { id: "imports-recent", text: t("Recent imports") }), recent));
  ctx.root.replaceChildren(view);
  ctx.root.removeAttribute("aria-busy");
  ctx.ready();

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    problem.replaceChildren();
    const chosen = file.files?.[0];
    if (!chosen) {
      problem.replaceChildren(inlineProblem(t("Choose a file"), { detail: t("Pick the MARC or CSV file to import.") }));
      file.focus();
      return;
    }
    submit.disabled = true;
    bar.hidden = false;
    status.textContent = t("Uploading {name}…", { name: chosen.name });
    try {
      const imp = await uploadImport(chosen, {
        signal: ctx.signal,
        onProgress: (loaded, total) => { bar.value = total ? Math.round((loaded / total) * 100) : 0; },
      });
      ctx.navigate(`#/import/${imp.id}`, { message: t("{name} was uploaded.", { name: chosen.name }) });
    } catch (error) {
      if (isAbort(error) || ctx.signal.aborted) return;
      submit.disabled = false;
      bar.hidden = true;
      status.textContent = "";
      problem.replaceChildren(inlineProblem(t("The file was not accepted"), error));
    }
  });
  loadRecent(ctx, recent);
}

async function loadRecent(ctx, container) {
  showLoading(container, t("Loading imports…"));
  try {
    const page = await listImports({ per_page: 10 }, { signal: ctx.signal });
    container.removeAttribute("aria-busy");
    if (!page.items.length) {
      container.replaceChildren(el("p", { text: t("No imports yet.") }));
      return;
    }
    container.replaceChildren(el("ul", { className: "import-list" }, ...page.items.map((imp) => el("li", {},
      el("a", { href: `#/import/${imp.id}`, text: imp.filename }), " ",
      el("span", { className: "muted", text: `${t(STATE_LABELS[imp.state] ?? imp.state)} · ${formatDateTime(imp.created_at)}` })))));
  } catch (error) {
    if (isAbort(error) || ctx.signal.aborted) return;
    container.removeAttribute("aria-busy");
    container.replaceChildren(inlineProblem(t("Could not load the imports"), error));
  }
}

// ---- #/import/:id: one import ----

async function renderImport(ctx) {
  const importId = ctx.params.id;
  showLoading(ctx.root, t("Loading the import…"));
  const imp = await loadForView(ctx, (opts) => getImport(importId, opts),
    { title: t("Import not found"), detail: t("There is no import with this number; it may have been deleted.") },
    () => renderImport(ctx));
  if (!imp) return;
  const body = el("div", { className: "import-body" });
  const view = el("section", { className: "view view-import", dataset: { view: "import" } },
    el("p", { className: "back" }, el("a", { href: "#/import" }, el("span", { "aria-hidden": "true", text: "← " }), t("All imports"))),
    el("h1", { tabindex: "-1", text: t("Import of {name}", { name: imp.filename }) }),
    el("dl", { className: "facts import-facts" },
      fact(t("Format"), FORMAT_LABELS[imp.format] ?? imp.format), fact(t("Size"), formatBytes(imp.size)),
      fact(t("Uploaded"), formatDateTime(imp.created_at))),
    body);
  ctx.root.replaceChildren(view);
  ctx.root.removeAttribute("aria-busy");
  ctx.ready();
  draw(ctx, body, imp);
}

function fact(term, value) {
  return el("div", { className: "fact" }, el("dt", { text: term }), el("dd", { text: value }));
}

function draw(ctx, body, imp) {
  const step = importStep(imp);
  body.dataset.step = step;
  const parts = {
    mapping: () => mappingStep(ctx, body, imp),
    previewing: () => progressStep(ctx, body, imp, t("Checking every record of the file; nothing is written yet.")),
    importing: () => progressStep(ctx, body, imp, t("Importing: the books appear in the catalog batch by batch.")),
    preview: () => previewStep(ctx, body, imp),
    done: () => doneStep(imp),
    failed: () => failedStep(ctx, body, imp),
    cancelled: () => failedStep(ctx, body, imp),
  };
  body.replaceChildren(...parts[step]().filter(Boolean));
  if (isRunning(imp)) poll(ctx, body, imp);
}

/** Ask again in a moment while a job runs; redraw only the progress until the state changes. */
function poll(ctx, body, imp) {
  setTimeout(async () => {
    if (ctx.signal.aborted || !body.isConnected) return;
    let next;
    try {
      next = await getImport(imp.id, { signal: ctx.signal });
    } catch (error) {
      if (isAbort(error) || ctx.signal.aborted) return;
      poll(ctx, body, imp); // a blip: try again
      return;
    }
    if (next.state === imp.state) {
      updateProgress(body, next);
      const notice = body.querySelector("[data-worker-notice]");
      if (notice && next.job?.state === "queued") explainWaiting(notice, ctx.signal);
      else if (notice) notice.textContent = "";
      poll(ctx, body, next);
      return;
    }
    draw(ctx, body, next);
    ctx.announce(t("Import: {state}.", { state: t(STATE_LABELS[next.state] ?? next.state) }));
    body.querySelector("h2")?.focus();
  }, POLL_MS);
}

function heading(text) {
  return el("h2", { tabindex: "-1", text });
}

function progressStep(ctx, body, imp, explanation) {
  const progress = progressOf(imp);
  const bar = el("progress", { max: "100", "aria-labelledby": "import-progress-label", dataset: { progress: "" } });
  if (progress.percent !== null) bar.value = progress.percent;
  const label = el("p", { id: "import-progress-label", className: "progress-label", dataset: { progressText: "" },
    text: progressText(progress) });
  const cancel = el("button", { type: "button", className: "button secondary", text: t("Cancel") });
  const problem = el("div");
  cancel.addEventListener("click", async () => {
    cancel.disabled = true;
    try {
      const next = await cancelImport(imp.id);
      ctx.announce(t("Cancelling; anything imported so far is removed again."));
      draw(ctx, body, next);
    } catch (error) {
      cancel.disabled = false;
      problem.replaceChildren(inlineProblem(t("Could not cancel"), error));
    }
  });
  const waiting = el("p", { className: "notice", role: "status", dataset: { workerNotice: "" } });
  if (imp.job?.state === "queued") explainWaiting(waiting, ctx.signal);
  return [heading(imp.state === "importing" ? t("Importing") : t("Checking the file")),
    el("p", { text: explanation }), label, bar, waiting, el("p", { className: "actions" }, cancel), problem];
}

/** A job still queued: say so when no background worker is running to take it. */
async function explainWaiting(node, signal) {
  try {
    const worker = await getWorkerStatus({ signal });
    node.textContent = worker.running ? "" : t("Waiting for the background worker, which is not running: the import starts as soon as one does (make run and docker compose start it; on the command line: flask --app library worker).");
  } catch {
    node.textContent = "";
  }
}

function updateProgress(body, imp) {
  const progress = progressOf(imp);
  const bar = body.querySelector("[data-progress]");
  const label = body.querySelector("[data-progress-text]");
  if (bar && progress.percent !== null) bar.value = progress.percent;
  if (label) label.textContent = progressText(progress);
}

function mappingStep(ctx, body, imp) {
  const values = mappingFormValues(imp);
  const choices = Object.entries(imp.fields_available ?? {});
  const rows = imp.columns.map((column, index) => {
    const id = `map-${index}`;
    const select = el("select", { id, name: id });
    select.append(new Option(t("— leave out —"), ""), ...choices.map(([value, label]) => new Option(t(label), value)));
    select.value = values.fields[index] ?? "";
    const example = imp.sample?.[index];
    const hintId = `${id}-example`;
    if (example) select.setAttribute("aria-describedby", hintId);
    return el("div", { className: "field mapping-row" },
      el("label", { for: id, text: column || t("(column {n}, no name)", { n: index + 1 }) }), select,
      example ? el("p", { className: "hint mapping-example", id: hintId, text: t("First row: {value}", { value: example }) }) : null);
  });
  const separator = el("select", { id: "map-separator", name: "separator" },
    new Option(t("; (semicolon)"), ";"), new Option(t(", (comma)"), ","), new Option(t("| (bar)"), "|"));
  separator.value = values.separator;
  const problem = el("div");
  const submit = el("button", { type: "submit", className: "button", text: t("Check the file with this mapping") });
  const form = el("form", { className: "stack-form mapping-form", novalidate: true },
    el("p", { text: t("Say which column fills which field of a book. Columns left out are not imported.") }),
    el("fieldset", { className: "mapping" }, el("legend", { text: t("Columns of the file") }), ...rows),
    el("div", { className: "field" }, el("label", { for: "map-separator", text: t("Several values in one cell (authors, subjects, barcodes) are separated by") }), separator),
    el("div", { className: "actions" }, submit), problem);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const fields = imp.columns.map((_, index) => form.elements[`map-${index}`].value);
    const { mapping, problems } = mappingFromForm({ fields, separator: separator.value });
    if (problems.length) {
      problem.replaceChildren(inlineProblem(t("Check the mapping"), { detail: problems.join(" ") }));
      return;
    }
    submit.disabled = true;
    try {
      draw(ctx, body, await previewImport(imp.id, { mapping }));
      body.querySelector("h2")?.focus();
    } catch (error) {
      submit.disabled = false;
      problem.replaceChildren(inlineProblem(t("The mapping was not accepted"), error));
    }
  });
  return [heading(t("Map the columns")), form];
}

function table(caption, headers, rows) {
  return el("div", { className: "table-wrap" }, el("table", { className: "report-table" },
    el("caption", { text: caption }),
    el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", { scope: "col", text: h })))),
    el("tbody", {}, ...rows.map((cells) => el("tr", {}, ...cells.map((c) => el("td", {}, c)))))));
}

function reportParts(report, { shownProblems = true } = {}) {
  const parts = [];
  const problems = report.problems ?? [];
  if (shownProblems && problems.length) {
    const more = report.invalid > problems.length ? ` ${t("(the first {n} of {total})", { n: problems.length, total: report.invalid })}` : "";
    parts.push(table(t("Invalid records") + more, [t("Where"), t("Title"), t("Why")],
      problems.map((p) => [recordLabel(p), p.title || "—", p.reasons.join("; ")])));
  }
  const duplicates = report.duplicates ?? [];
  if (duplicates.length) {
    parts.push(table(t("Duplicates"), [t("Where"), t("Title"), t("Already there")], duplicates.map((d) => [
      recordLabel(d), d.title, d.book_id
        ? el("a", { href: `#/books/${d.book_id}`, text: d.book_title || t("book {id}", { id: d.book_id }) })
        : d.record_of_file ? t("record {n} of this file", { n: d.record_of_file }) : t("earlier in this file"),
    ])));
  }
  const notes = report.warnings_shown ?? [];
  if (notes.length) {
    parts.push(table(t("Warnings (the record is imported without it)"), [t("Where"), t("What")],
      notes.map((w) => [recordLabel(w), w.message])));
  }
  return parts;
}

function previewStep(ctx, body, imp) {
  const preview = imp.preview ?? {};
  const totals = el("dl", { className: "facts import-totals" },
    fact(t("Records in the file"), Number(preview.records ?? 0).toLocaleString("en")),
    ...OUTCOMES.map((o) => fact(t(o.label), Number(preview[o.key] ?? 0).toLocaleString("en"))));
  const duplicates = (preview.duplicate ?? 0) + (preview.likely_duplicate ?? 0);
  const radios = POLICIES.map((p, i) => el("div", { className: "check" },
    el("input", { type: "radio", name: "policy", id: `policy-${p.value}`, value: p.value, checked: i === 0,
      "aria-describedby": `policy-${p.value}-hint` }),
    el("label", { for: `policy-${p.value}`, text: t(p.label) }),
    el("p", { className: "hint", id: `policy-${p.value}-hint`, text: t(p.hint) })));
  const importable = (preview.new ?? 0) + duplicates;
  const submit = el("button", { type: "submit", className: "button",
    text: tn(importable, "Import {count} record", "Import {count} records") });
  const problem = el("div");
  const form = el("form", { className: "stack-form commit-form", novalidate: true },
    el("fieldset", {}, el("legend", { text: tn(duplicates, "What becomes of the {count} duplicate?", "What becomes of the {count} duplicates?") }), ...radios),
    el("div", { className: "actions" }, submit), problem);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    try {
      draw(ctx, body, await commitImport(imp.id, form.elements.policy.value));
      body.querySelector("h2")?.focus();
    } catch (error) {
      submit.disabled = false;
      problem.replaceChildren(inlineProblem(t("The import could not start"), error));
    }
  });
  const redo = imp.format === "csv" ? el("p", {}, el("button", { type: "button", className: "button secondary small",
    text: t("Change the column mapping") })) : null;
  redo?.firstChild.addEventListener("click", () => draw(ctx, body, { ...imp, state: "uploaded" }));
  return [heading(t("Preview: nothing has been written yet")), totals, ...reportParts(preview), redo,
    importable ? form : el("p", { className: "notice", text: t("No record of this file can be imported.") })];
}

function doneStep(imp) {
  const result = imp.result ?? {};
  const parts = [heading(t("Import finished")),
    el("dl", { className: "facts import-totals" }, ...resultFigures(result).map((f) => fact(f.label, f.value.toLocaleString("en")))),
    el("p", { className: "actions" }, el("a", { className: "button", href: "#/books?sort=-created_at", text: t("See the new books") }),
      imp.rejected_records ? el("a", { className: "button secondary", href: rejectedRecordsUrl(imp.id), download: "",
        text: t("Download the rejected records") }) : null),
  ];
  if (imp.rejected_records) {
    parts.push(el("p", { className: "hint", text: t("Fix the rejected records in that file and import it again.") }));
  }
  return [...parts, ...reportParts(result)];
}

function failedStep(ctx, body, imp) {
  const cancelled = imp.state === "cancelled";
  const retry = el("button", { type: "button", className: "button", text: imp.preview ? t("Back to the preview") : t("Check the file again") });
  const problem = el("div");
  retry.addEventListener("click", async () => {
    if (imp.preview) {
      draw(ctx, body, { ...imp, state: "previewed" });
      return;
    }
    retry.disabled = true;
    try {
      draw(ctx, body, await previewImport(imp.id, imp.format === "csv" ? { mapping: imp.mapping ?? imp.suggested_mapping } : {}));
    } catch (error) {
      retry.disabled = false;
      problem.replaceChildren(inlineProblem(t("Could not start again"), error));
    }
  });
  return [heading(cancelled ? t("Import cancelled") : t("Import failed")),
    el("p", { className: "inline-problem", role: "alert", text: imp.error || (cancelled ? t("Cancelled.") : t("Something stopped it.")) }),
    el("p", { text: t("Nothing of it was kept in the catalog.") }),
    el("p", { className: "actions" }, retry, el("a", { href: "#/import", text: t("Upload another file") })), problem];
}
