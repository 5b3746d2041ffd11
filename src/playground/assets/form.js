// The input form, generated from the model's OpenAPI Input schema with native controls (labels, help and errors
// tied to each control, so keyboards, screen readers and automation all work).
import { el, fileKind } from "./dom.js";

/** The Input schema's properties in x-order, each with references (choices) resolved. */
export function inputFields(openapi) {
  const schemas = openapi?.components?.schemas ?? {};
  const input = schemas.Input ?? { properties: {} };
  const required = new Set(input.required ?? []);
  // A choice is a reference to an enum schema ("An enumeration." named after the input): its values, the input's words.
  const resolve = (name, schema) => {
    const ref = schema?.$ref ?? (schema?.allOf?.length === 1 ? schema.allOf[0].$ref : undefined);
    if (typeof ref !== "string") return schema ?? {};
    const { enum: values, type } = schemas[ref.split("/").pop()] ?? {};
    const { allOf: _allOf, $ref: _ref, ...own } = schema;
    return {
      enum: values,
      type,
      ...own,
      title: own.title ?? name.replace(/(^|_)(\w)/g, (_m, sep, c) => `${sep ? " " : ""}${c.toUpperCase()}`),
    };
  };
  return Object.entries(input.properties ?? {})
    .map(([name, raw]) => ({ name, schema: resolve(name, raw), required: required.has(name) }))
    .sort((a, b) => (a.schema["x-order"] ?? 1e9) - (b.schema["x-order"] ?? 1e9));
}

/** Which control a field gets. */
export function kindOf(schema) {
  if (schema["x-cog-secret"] || schema.format === "password") return "secret";
  if (Array.isArray(schema.enum)) return "select";
  if (schema.type === "string" && schema.format === "uri") return "file";
  if (schema.type === "array") {
    const items = schema.items ?? {};
    if (items.type === "string" && items.format === "uri") return "files";
    if (["string", "integer", "number"].includes(items.type) && !items.enum) return "list";
    return "json";
  }
  if (schema.type === "boolean") return "boolean";
  if (schema.type === "integer" || schema.type === "number") return "number";
  if (schema.type === "string") return "text";
  return "json";
}

const TYPE_NAMES = {
  secret: "secret",
  select: "choice",
  file: "file",
  files: "list of files",
  list: "list",
  boolean: "boolean",
  json: "JSON",
};

function typeLabel(schema, kind) {
  if (kind === "number") return schema.type;
  if (kind === "list") return `list of ${schema.items.type}`;
  if (kind === "text") return "string";
  if (kind === "json" && Array.isArray(schema.anyOf)) return schema.anyOf.map((v) => v.type ?? "object").join(" | ");
  return TYPE_NAMES[kind] ?? kind;
}

function bounds(schema) {
  const parts = [];
  if (schema.minimum !== undefined) parts.push(`≥ ${schema.minimum}`);
  if (schema.maximum !== undefined) parts.push(`≤ ${schema.maximum}`);
  if (schema.minLength !== undefined) parts.push(`at least ${schema.minLength} characters`);
  if (schema.maxLength !== undefined) parts.push(`at most ${schema.maxLength} characters`);
  if (schema.pattern !== undefined) parts.push(`matching ${schema.pattern}`);
  if (schema["x-cog-accept"]) parts.push(`accepts ${schema["x-cog-accept"]}`);
  return parts.join(", ");
}

/** A file picker with drag and drop, a URL box and a preview; its value is a data: or http(s) URL. */
function fileControl(id, field, multiple) {
  const picker = el("input", {
    type: "file",
    id,
    ...(multiple ? { multiple: "" } : {}),
    accept: field.schema["x-cog-accept"] ?? field.schema.items?.["x-cog-accept"],
  });
  const url = el("input", {
    type: "url",
    "aria-label": `${field.name}: or a file URL`,
    placeholder: "or https://… / data:… URL" + (multiple ? " (one per line)" : ""),
  });
  const preview = el("div", { class: "preview", "aria-live": "polite" });
  const zone = el("div", { class: "drop" }, [
    el("span", { class: "muted" }, [`Drop ${multiple ? "files" : "a file"} here or `]),
    picker,
    url,
    preview,
  ]);
  let files = []; // { name, dataUrl }
  const show = () => {
    preview.replaceChildren(
      ...files.map((f) => {
        const kind = fileKind(f.dataUrl);
        const media =
          kind === "image"
            ? el("img", { src: f.dataUrl, alt: `preview of ${f.name}` })
            : kind === "audio" || kind === "video"
              ? el(kind, { src: f.dataUrl, controls: "" })
              : null;
        return el("div", {}, [
          el("span", { class: "muted" }, [`${f.name}${f.size !== undefined ? ` (${f.size} bytes)` : ""}`]),
          ...(media ? [media] : []),
        ]);
      }),
    );
  };
  const read = async (list) => {
    files = await Promise.all(
      [...list].slice(0, multiple ? list.length : 1).map(
        (file) =>
          new Promise((resolve, reject) => {
            const reader = new FileReader();
            reader.onload = () => resolve({ name: file.name, size: file.size, dataUrl: reader.result });
            reader.onerror = () => reject(reader.error);
            reader.readAsDataURL(file);
          }),
      ),
    );
    url.value = "";
    show();
    zone.dispatchEvent(new Event("input", { bubbles: true }));
  };
  picker.addEventListener("change", () => void read(picker.files));
  zone.addEventListener("dragover", (e) => {
    e.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    if (e.dataTransfer?.files?.length) void read(e.dataTransfer.files);
  });
  return {
    node: zone,
    get: () => {
      const typed = url.value
        .split("\n")
        .map((s) => s.trim())
        .filter(Boolean);
      const values = typed.length ? typed : files.map((f) => f.dataUrl);
      return multiple ? (values.length ? values : undefined) : values[0];
    },
    set: (value) => {
      const list = value === undefined || value === null ? [] : Array.isArray(value) ? value : [value];
      files = list
        .filter((v) => String(v).startsWith("data:"))
        .map((v, i) => ({ name: `file ${i + 1} (from history)`, dataUrl: v }));
      url.value = list.filter((v) => !String(v).startsWith("data:")).join("\n");
      picker.value = "";
      show();
    },
    names: () => files.map((f) => f.name),
    focus: picker,
  };
}

/** Rows of one input each, with Add and Remove buttons. */
function listControl(id, field) {
  const itemType = field.schema.items.type;
  const rows = el("div", { id, role: "group", "aria-label": `${field.name} items` });
  const add = el("button", { type: "button", class: "small", "aria-label": `Add a ${field.name} item` }, ["Add item"]);
  const addRow = (value) => {
    const input = el("input", {
      type: itemType === "string" ? "text" : "number",
      ...(itemType === "integer" ? { step: "1" } : { step: "any" }),
      "aria-label": `${field.name} item`,
    });
    if (value !== undefined) input.value = String(value);
    const remove = el("button", { type: "button", class: "small", "aria-label": `Remove this ${field.name} item` }, [
      "Remove",
    ]);
    const row = el("div", { class: "list-row" }, [input, remove]);
    remove.addEventListener("click", () => {
      row.remove();
      add.focus();
    });
    rows.append(row);
    return input;
  };
  add.addEventListener("click", () => addRow().focus());
  return {
    node: el("div", {}, [rows, add]),
    get: () => {
      const values = [...rows.querySelectorAll("input")].map((i) => i.value).filter((v) => v !== "");
      if (values.length === 0) return undefined;
      return itemType === "string" ? values : values.map(Number);
    },
    set: (value) => {
      rows.replaceChildren();
      for (const item of Array.isArray(value) ? value : []) addRow(item);
    },
    focus: add,
  };
}

function numberControl(id, field) {
  const s = field.schema;
  const box = el("input", {
    type: "number",
    id,
    step: s.type === "integer" ? "1" : "any",
    min: s.minimum,
    max: s.maximum,
  });
  const nodes = [box];
  if (s.minimum !== undefined && s.maximum !== undefined) {
    const step = s.type === "integer" ? "1" : String((s.maximum - s.minimum) / 100 || "any");
    const slider = el("input", {
      type: "range",
      min: s.minimum,
      max: s.maximum,
      step,
      "aria-label": `${field.name} slider`,
      tabindex: "-1",
    });
    slider.addEventListener("input", () => {
      box.value = slider.value;
    });
    box.addEventListener("input", () => {
      if (box.value !== "") slider.value = box.value;
    });
    nodes.push(slider);
  }
  return {
    node: el("div", { class: "number" }, nodes),
    get: () => (box.value === "" ? undefined : Number(box.value)),
    set: (v) => {
      box.value = v === undefined || v === null ? "" : String(v);
      box.dispatchEvent(new Event("input"));
    },
    focus: box,
  };
}

function jsonControl(id, field) {
  const area = el("textarea", { id, class: "json", spellcheck: "false", placeholder: 'JSON, e.g. {"key": 1}' });
  return {
    node: area,
    get: () => {
      if (area.value.trim() === "") return undefined;
      try {
        return JSON.parse(area.value);
      } catch (e) {
        throw new FieldError(`not valid JSON: ${e.message}`);
      }
    },
    set: (v) => {
      area.value = v === undefined ? "" : JSON.stringify(v, null, 2);
    },
    check: () => validateJson(field.schema, area.value),
    focus: area,
  };
}

export class FieldError extends Error {}

/** A union or object input's text: valid JSON, and of one of the accepted types. */
export function validateJson(schema, text) {
  if (text.trim() === "") return "";
  let value;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return `not valid JSON: ${e.message}`;
  }
  const variants = Array.isArray(schema.anyOf) ? schema.anyOf : [schema];
  const typeOf = (v) =>
    Array.isArray(v)
      ? "array"
      : v === null
        ? "null"
        : Number.isInteger(v)
          ? "integer"
          : typeof v === "object"
            ? "object"
            : typeof v;
  const ok = variants.some((variant) => {
    if (!variant.type) return true;
    const t = typeOf(value);
    return variant.type === t || (variant.type === "number" && t === "integer") || (t === "null" && variant.nullable);
  });
  return ok ? "" : `expected ${variants.map((v) => v.type ?? "any").join(" or ")}, got ${typeOf(value)}`;
}

function simpleControl(id, field, kind) {
  const s = field.schema;
  let node;
  if (kind === "boolean") node = el("input", { type: "checkbox", id });
  else if (kind === "secret") node = el("input", { type: "password", id, autocomplete: "off" });
  else if (kind === "select") {
    // An optional choice can be left unset; a required one without a default starts unchosen, never silently picked.
    const blank = !field.required ? "(none)" : s.default === undefined ? "Choose…" : undefined;
    node = el("select", { id }, [
      ...(blank ? [el("option", { value: "" }, [blank])] : []),
      ...s.enum.map((v, i) => el("option", { value: String(i) }, [String(v)])),
    ]);
  } else if (s.maxLength !== undefined && s.maxLength <= 80)
    node = el("input", { type: "text", id, maxlength: s.maxLength, minlength: s.minLength });
  else node = el("textarea", { id, rows: "3", minlength: s.minLength, maxlength: s.maxLength });
  return {
    node:
      kind === "boolean"
        ? el("div", { class: "check" }, [
            node,
            el("span", { class: "muted" }, [s.default === undefined ? "" : `default ${s.default}`]),
          ])
        : node,
    get: () => {
      if (kind === "boolean") return node.checked;
      if (kind === "select") return node.value === "" ? undefined : s.enum[Number(node.value)];
      // An emptied box means "not given" (the default applies, or "required" is said), never an empty string.
      return node.value === "" ? undefined : node.value;
    },
    set: (v) => {
      if (kind === "boolean") node.checked = v === true;
      else if (kind === "select") node.value = v === undefined || v === null ? "" : String(s.enum.indexOf(v));
      else node.value = v === undefined || v === null ? "" : String(v);
    },
    focus: node,
  };
}

/** Builds every field into `container`; returns the form's controller. */
export function buildForm(container, openapi) {
  const fields = inputFields(openapi);
  const controls = new Map();
  container.replaceChildren();
  if (fields.length === 0) container.append(el("p", { class: "muted" }, ["This model takes no inputs."]));
  for (const field of fields) {
    const kind = kindOf(field.schema);
    const id = `in-${field.name}`;
    const control =
      kind === "file" || kind === "files"
        ? fileControl(id, field, kind === "files")
        : kind === "list"
          ? listControl(id, field)
          : kind === "number"
            ? numberControl(id, field)
            : kind === "json"
              ? jsonControl(id, field)
              : simpleControl(id, field, kind);
    const help = field.schema.description ?? "";
    const rule = bounds(field.schema);
    const helpNode = el("p", { class: "help", id: `help-${field.name}` }, [
      help,
      help && rule ? " " : "",
      rule ? `(${rule})` : "",
    ]);
    const error = el("p", { class: "error", id: `err-${field.name}`, role: "alert" });
    const label = el(
      kind === "list" ? "span" : "label",
      kind === "list" ? { class: "label", id: `label-${field.name}` } : { for: id },
      [
        field.schema.title ?? field.name,
        ...(field.required ? [el("abbr", { class: "required", title: "required" }, ["*"])] : []),
        el("span", { class: "type" }, [`${field.name}: ${typeLabel(field.schema, kind)}`]),
        ...(field.schema.deprecated ? [el("span", { class: "deprecated" }, ["deprecated"])] : []),
      ],
    );
    const focus = control.focus;
    focus.setAttribute("aria-describedby", `help-${field.name} err-${field.name}`);
    if (field.required) focus.setAttribute("aria-required", "true");
    if (kind === "list") control.node.firstChild.setAttribute("aria-labelledby", `label-${field.name}`);
    const wrapper = el("div", { class: "field", id: `field-${field.name}`, "data-kind": kind }, [
      label,
      control.node,
      helpNode,
      error,
    ]);
    if (control.check) focus.addEventListener("input", () => setError(field.name, control.check()));
    container.append(wrapper);
    controls.set(field.name, { field, kind, control, error, wrapper });
  }

  const setError = (name, message) => {
    const entry = controls.get(name);
    if (!entry) return false;
    entry.error.textContent = message;
    if (message) {
      entry.wrapper.dataset.invalid = "";
      entry.control.focus.setAttribute("aria-invalid", "true");
    } else {
      delete entry.wrapper.dataset.invalid;
      entry.control.focus.removeAttribute("aria-invalid");
    }
    return true;
  };
  const reset = () => {
    for (const { field, control } of controls.values()) control.set(field.schema.default);
    clearErrors();
  };
  const clearErrors = () => {
    for (const name of controls.keys()) setError(name, "");
  };
  reset();

  return {
    fields,
    reset,
    clearErrors,
    setError,
    /** The input object, or throws with per-field problems found before sending (required, JSON). */
    collect() {
      const input = {};
      const problems = [];
      for (const [name, { field, control }] of controls) {
        let value;
        try {
          const check = control.check?.();
          if (check) throw new FieldError(check);
          value = control.get();
        } catch (e) {
          if (!(e instanceof FieldError)) throw e;
          problems.push([name, e.message]);
          continue;
        }
        if (value === undefined) {
          if (field.required) problems.push([name, "required"]);
          continue;
        }
        input[name] = value;
      }
      return { input, problems };
    },
    fill(input) {
      for (const [name, { control }] of controls) control.set(input[name]);
      clearErrors();
    },
    focusField(name) {
      controls.get(name)?.control.focus.focus();
    },
    fileNames(name) {
      return controls.get(name)?.control.names?.() ?? [];
    },
    kinds() {
      return new Map([...controls].map(([name, entry]) => [name, entry.kind]));
    },
  };
}
