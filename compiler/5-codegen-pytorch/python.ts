// Python text from cnnc values, for the generated model.py and train.py. Nothing from a spec reaches the
// generated Python except through these functions: strings become escaped literals (ASCII only, so no
// byte of a name can end the literal or the line), comments lose every line terminator, and names are
// checked identifiers. Numbers print as Python reads them back (inf and nan by name).

/** A Python str literal for any text: double-quoted, every non-printable-ASCII character escaped. */
export function pyStr(text: string): string {
  let out = '"';
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (c >= 0x20 && c < 0x7f) out += ch;
    else if (c <= 0xff) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if (c <= 0xffff) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += `\\U${c.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}

/** A Python float or int literal; inf and nan as float('inf') and float('nan'). */
export function pyNum(x: number): string {
  if (Number.isNaN(x)) return "float('nan')";
  if (x === Infinity) return "float('inf')";
  if (x === -Infinity) return "float('-inf')";
  return String(x);
}

export function pyBool(b: boolean): string {
  return b ? 'True' : 'False';
}

/** A JSON-like value as a Python literal: None, True/False, numbers, str, lists (as tuples where asked) and dicts. */
export function pyValue(v: unknown, tuples = false): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return pyBool(v);
  if (typeof v === 'number') return pyNum(v);
  if (typeof v === 'string') return pyStr(v);
  if (Array.isArray(v)) {
    const items = v.map((x) => pyValue(x, tuples));
    return tuples ? `(${items.join(', ')}${items.length === 1 ? ',' : ''})` : `[${items.join(', ')}]`;
  }
  if (typeof v === 'object') {
    return `{${Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).map(([k, x]) => `${pyStr(k)}: ${pyValue(x, tuples)}`).join(', ')}}`;
  }
  throw new Error(`cnnc internal error: no Python literal for ${typeof v}`);
}

/** A pair as a Python tuple: (3, 3). */
export function pyPair(p: readonly [number, number] | readonly number[]): string {
  return `(${p.map(pyNum).join(', ')})`;
}

/** Text for a `#` comment: one line, no control characters (Python ends a line at \n, \r and \f resets indentation). */
export function pyComment(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ');
}

/** Python's keywords (3.11): never a name in the generated code. */
export const PY_KEYWORDS: ReadonlySet<string> = new Set(
  'False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield match case _'.split(' '),
);

/** The attributes of torch.nn.Module and nn.ModuleDict (torch 1.13, `dir()` and an instance's `vars()`): a submodule
 *  of that name cannot be registered (add_module refuses it), so a layer or block so named has no PyTorch module. */
export const NN_MODULE_ATTRIBUTES: ReadonlySet<string> = new Set(
  ('T_destination add_module apply bfloat16 buffers children clear cpu cuda double dump_patches eval extra_repr float forward ' +
    'get_buffer get_extra_state get_parameter get_submodule half ipu items keys load_state_dict modules named_buffers ' +
    'named_children named_modules named_parameters parameters pop register_backward_hook register_buffer register_forward_hook ' +
    'register_forward_pre_hook register_full_backward_hook register_load_state_dict_post_hook register_module register_parameter ' +
    'requires_grad_ set_extra_state share_memory state_dict to to_empty train training type update values xpu zero_grad ' +
    '_apply _backward_hooks _buffers _call_impl _forward_hooks _forward_pre_hooks _get_backward_hooks _get_name _is_full_backward_hook ' +
    '_load_from_state_dict _load_state_dict_post_hooks _load_state_dict_pre_hooks _maybe_warn_non_full_backward_hook _modules ' +
    '_named_members _non_persistent_buffers_set _parameters _register_load_state_dict_pre_hook _register_state_dict_hook ' +
    '_replicate_for_data_parallel _save_to_state_dict _slow_forward _state_dict_hooks _version').split(' '),
);

/** Names model.py defines or imports at the top level, which a forward() local must not shadow. */
export const MODEL_PY_GLOBALS: ReadonlySet<string> = new Set(
  'x self torch nn F math json os sys Model loss_fn build_optimizer build_scheduler predict init_weights'.split(' '),
);

/** A local variable for a node's value in forward(): its name, or its name + `_` where that is taken. */
export function pyLocal(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`cnnc internal error: layer name ${JSON.stringify(name)} is not an identifier`);
  let out = name;
  while (PY_KEYWORDS.has(out) || MODEL_PY_GLOBALS.has(out)) out += '_';
  return out;
}
