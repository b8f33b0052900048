// Every diagnostic cnnc reports, written once, under a stable code.
// E01xx: YAML syntax and reader limits · E02xx: schema (unknown key, wrong type, missing, range)
// E03xx: names and graph · E04xx: shapes and sizes · E05xx: loss / output fit
// W06xx: lints (warnings).
// Owners: 1-parse and 2-validate add to the E01/E02 sections; 3-lower and 4-passes to E03–E05 and W06.

export const CODES = {
  // --- E01xx: YAML (1-parse) ---
  E0101: { severity: 'error', title: 'YAML syntax error' },
  E0102: { severity: 'error', title: 'tab used for indentation' },
  E0103: { severity: 'error', title: 'duplicate key' },
  E0104: { severity: 'error', title: 'too many aliases (alias bomb)' },
  E0105: { severity: 'error', title: 'nesting too deep' },
  E0106: { severity: 'error', title: 'spec file too large' },
  E0107: { severity: 'error', title: 'YAML tag not allowed' },
  E0108: { severity: 'error', title: 'empty spec' },
  E0109: { severity: 'error', title: 'more than one YAML document' },
  E0110: { severity: 'error', title: 'YAML version other than 1.2' },
  E0111: { severity: 'error', title: 'spec file not UTF-8' },
  // --- E02xx: schema (2-validate) ---
  E0201: { severity: 'error', title: 'unknown key' },
  E0202: { severity: 'error', title: 'unknown kind' },
  E0203: { severity: 'error', title: 'wrong type' },
  E0204: { severity: 'error', title: 'missing field' },
  E0205: { severity: 'error', title: 'value out of range' },
  E0206: { severity: 'error', title: 'unsupported spec format version' },
  E0207: { severity: 'error', title: 'value not allowed' },
  E0208: { severity: 'error', title: 'not an identifier' },
  E0209: { severity: 'error', title: 'wrong number of items' },
  E0210: { severity: 'error', title: 'options that do not go together' },
  // --- E03xx: names and graph (3-lower) ---
  E0301: { severity: 'error', title: 'duplicate layer name' },
  E0302: { severity: 'error', title: 'layer name taken by a generated name' },
  E0303: { severity: 'error', title: 'reserved layer name' },
  E0304: { severity: 'error', title: 'unknown layer in inputs' },
  E0305: { severity: 'error', title: 'inputs names a later layer' },
  E0306: { severity: 'error', title: 'layer output never used' },
  E0307: { severity: 'error', title: 'unknown block' },
  E0308: { severity: 'error', title: 'block that uses itself' },
  E0309: { severity: 'error', title: 'not an argument of the block' },
  // --- E04xx: shapes and sizes (3-lower) ---
  E0401: { severity: 'error', title: 'kernel larger than its input' },
  E0402: { severity: 'error', title: 'pooling to zero' },
  E0403: { severity: 'error', title: "padding 'same' with a stride" },
  E0404: { severity: 'error', title: 'pool padding more than half the kernel' },
  E0405: { severity: 'error', title: 'channels not divisible by groups' },
  E0406: { severity: 'error', title: 'explicit size disagrees with the inferred one' },
  E0407: { severity: 'error', title: 'layer needs a [C, H, W] input' },
  E0408: { severity: 'error', title: 'layer needs a flat input' },
  E0409: { severity: 'error', title: 'size too large' },
  E0410: { severity: 'error', title: 'unsupported input rank' },
  E0411: { severity: 'error', title: 'joined shapes do not match' },
  E0412: { severity: 'error', title: 'output_padding not smaller than stride or dilation' },
  E0413: { severity: 'error', title: 'output smaller than 1×1' },
  E0414: { severity: 'error', title: 'init rule does not apply to this parameter' },
  E0415: { severity: 'error', title: "an init rule's arguments do not fit together" },
  E0416: { severity: 'error', title: 'convolution algorithm does not fit the layer' },
  // --- E05xx: loss fit (3-lower / 4-passes) ---
  E0501: { severity: 'error', title: "the data's labels do not fit the loss" },
  E0502: { severity: 'error', title: 'class weights do not match the classes' },
  E0503: { severity: 'error', title: 'loss reads probabilities, the output is not one' },
  E0504: { severity: 'error', title: 'summed losses read different targets' },
  E0505: { severity: 'error', title: 'summed losses ignore different labels' },
  E0506: { severity: 'error', title: 'pos_weight does not match the outputs' },
  // --- W06xx: lints (4-passes) ---
  W0601: { severity: 'warning', title: 'softmax before cross_entropy' },
  W0602: { severity: 'warning', title: 'log_softmax before cross_entropy' },
  W0603: { severity: 'warning', title: 'nll without log_softmax' },
  W0604: { severity: 'warning', title: 'dropout as the last layer' },
  W0605: { severity: 'warning', title: 'relu on a non-negative input' },
  W0606: { severity: 'warning', title: 'dropout with p = 0' },
  W0607: { severity: 'warning', title: 'pooling that does nothing' },
  W0608: { severity: 'warning', title: 'bias before batchnorm' },
  W0609: { severity: 'warning', title: 'cross_entropy over one class' },
  W0610: { severity: 'warning', title: 'probabilities fed to a loss on logits' },
  W0611: { severity: 'warning', title: 'ignore_index is one of the classes' },
  W0612: { severity: 'warning', title: "reduction 'none' in training" },
  W0613: { severity: 'warning', title: 'training and test inputs normalized differently' },
  W0614: { severity: 'warning', title: 'early stopping on the test set' },
  // --- E07xx: targets (5-codegen-gpujs; E0710–E0719 5-codegen-onnx; E0720–E0729 5-codegen-pytorch) ---
  E0701: { severity: 'error', title: 'not supported by this target' },
  E0710: { severity: 'error', title: 'adaptive pooling windows that ONNX cannot express' },
  E0711: { severity: 'error', title: 'weights too large for one ONNX file' },
  E0712: { severity: 'error', title: "a scale_factor whose ONNX output size is not PyTorch's" },
  // E0720–E0729: the PyTorch export (5-codegen-pytorch/support.ts)
  E0720: { severity: 'error', title: 'a name PyTorch cannot register' },
  E0721: { severity: 'error', title: 'a transform the PyTorch export cannot express' },
  E0722: { severity: 'error', title: 'data the PyTorch export cannot derive' },
  // --- E08xx: data and its transforms (3-lower/data.ts) ---
  E0801: { severity: 'error', title: 'a transform where it cannot stand' },
  E0802: { severity: 'error', title: 'the input is not an image shape' },
  E0803: { severity: 'error', title: "the transforms do not end at the input's size" },
  E0804: { severity: 'error', title: "a transform's arguments are out of range" },
  // --- E09xx: the training recipe (3-lower/recipe.ts) ---
  E0901: { severity: 'error', title: "a scheduler's arguments do not fit together" },
  E0902: { severity: 'error', title: 'one_cycle_lr shorter than the run' },
  E0903: { severity: 'error', title: 'a metric the run does not compute' },
  E0904: { severity: 'error', title: 'the scheduler needs what the optimizer lacks' },
  E0905: { severity: 'error', title: 'two gradient clips' },
} as const satisfies Record<string, { readonly severity: 'error' | 'warning'; readonly title: string }>;

export type Code = keyof typeof CODES;
