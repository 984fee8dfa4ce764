// The public API: R torch's names over libtorch.
export { TorchError } from './core/errors.js';
export {
  torch_float32, torch_float, torch_float64, torch_double, torch_float16, torch_bfloat16, torch_int64, torch_long, torch_int32, torch_int,
  torch_int16, torch_int8, torch_uint8, torch_bool, torch_half, torch_short, torch_finfo, torch_iinfo, type DType, type DTypeLike,
  type FloatInfo, type IntegerInfo,
} from './core/dtype.js';
export { Slice, slice, type IndexItem } from './ops/indexing.js';
export { Tensor, type NestedArray, type TensorOrScalar, type ToOptions, type BackwardOptions } from './ops/tensor.js';
export * from './ops/creation.js';
export * from './ops/functions.js';
export * from './ops/autograd.js';
// Randomness, devices and complex numbers (issue 24, part D).
export {
  torch_Generator, torch_generator, torch_get_rng_state, torch_set_rng_state, torch_normal, torch_random_, type NormalOptions,
} from './ops/random.js';
export { torch_Device, torch_device, with_device, type DeviceLike } from './core/device.js';
export { torch_cfloat, torch_cfloat32, torch_cdouble, torch_cfloat64 } from './core/dtype.js';
// Autograd's graph: grad_fn nodes and their next_functions.
export { AutogradNode } from './ops/autograd_node.js';
export { torch_scope, torch_keep } from './core/scope.js';
export * from './core/memory.js';
export * from './core/config.js';
export {
  SafetensorsError, safetensors_deserialize, safetensors_serialize, torch_load_safetensors, torch_save_safetensors,
  type SafetensorsContents, type SafetensorsLoadOptions, type SafetensorsTensors,
} from './io/safetensors.js';
export { torch_save, torch_load, type TorchValue, type TorchKey, type TorchLoadOptions } from './io/serialization.js';
export { nn_Module, is_nn_module, type ModuleToOptions } from './nn/module.js';
export { nn_module, type nn_module_instance, type nn_module_definition, type nn_module_generator } from './nn/generator.js';
export { nn_parameter, nn_buffer, is_nn_parameter, is_nn_buffer } from './nn/registry.js';
export { RemovableHandle, type ForwardHook, type ForwardPreHook } from './nn/hooks.js';
export { type LoadStateDictOptions, type LoadStateDictResult } from './nn/state_dict.js';
export * from './nn/layers.js';
export * from './nn/containers.js';
export * from './nn/attention.js';
export * from './nn/hf_conv1d.js';
export * from './nn/normalization.js';
export { type PoolOutput, type PoolGenerator } from './nn/pooling.js';
export * from './nn/pooling_window.js';
export * from './nn/pooling_adaptive.js';
export * from './nn/recurrent.js';
export * from './nn/functional.js';
// Recurrent layers' variable-length sequences (nn_utils_rnn_*, PackedSequence).
export {
  PackedSequence, is_packed_sequence, nn_utils_rnn_pack_padded_sequence, nn_utils_rnn_pad_packed_sequence, nn_utils_rnn_pad_sequence,
  nn_utils_rnn_pack_sequence, type PackPaddedSequenceOptions, type PadPackedSequenceOptions, type PadSequenceOptions, type PackSequenceOptions,
} from './nn/packed_sequence.js';
export {
  nn_init_calculate_gain, nn_init_kaiming_uniform_, nn_init_kaiming_normal_, nn_init_xavier_uniform_, nn_init_xavier_normal_,
  nn_init_uniform_, nn_init_normal_, nn_init_constant_, nn_init_zeros_, nn_init_ones_, nn_init_eye_, type Nonlinearity, type KaimingOptions,
} from './nn/init.js';
export * from './optim/optimizer.js';
export * from './optim/adam.js';
export * from './optim/sgd.js';
export * from './optim/rmsprop.js';
export * from './optim/adagrad.js';
export { LRScheduler, type SchedulerState, type ScheduledOptimizer } from './optim/schedulers/base.js';
export * from './optim/schedulers/decay.js';
export * from './optim/schedulers/annealing.js';
export * from './optim/schedulers/one_cycle.js';
export * from './optim/schedulers/plateau.js';
export * from './optim/schedulers/warmup.js';
// optimizers over tensor ops and warm restarts (optimdata)
export { TensorOptimizer, type TensorParamState } from './optim/tensor_optimizer.js';
export * from './optim/adaptive.js';
export { optim_lbfgs, LBFGS, type LBFGSOptions, type LBFGSState } from './optim/lbfgs.js';
export * from './optim/schedulers/restarts.js';
export { nn_utils_clip_grad_norm_, nn_utils_clip_grad_value_, type ClipGradNormOptions } from './nn/utils.js';
export {
  dataset, tensor_dataset, dataloader, utils_data_default_collate, DataLoader,
  type Dataset, type TensorDataset, type DataLoaderOptions, type Sampler, type dataset_definition, type dataset_generator,
} from './data/data.js';
// iterable datasets and subsets (optimdata)
export {
  iterable_dataset, dataset_subset, type IterableDataset, type DatasetSubset, type iterable_dataset_definition, type iterable_dataset_generator,
} from './data/iterable.js';
export {
  dist_init_process_group, dist_is_initialized, dist_is_gloo_available, dist_is_nccl_available, dist_get_rank, dist_get_world_size,
  dist_get_backend, dist_destroy_process_group, type DistBackend, type InitProcessGroupOptions,
} from './distributed/process_group.js';
export * from './distributed/collectives.js';
export * from './distributed/data_parallel.js';
export * from './distributed/sampler.js';
export { LoraLayer } from './lora/layer.js';
export { AdapterDict } from './lora/adapter_dict.js';
export type { LoraKind } from './lora/kind.js';
export type {
  LoraOptions, LoraLayerOptions, LoraInit, AdapterSettings, MergeOptions, TargetModules, LoraApplyOptions, AdapterOptions,
} from './lora/settings.js';
export { lora_nn_linear, type LinearBase } from './lora/linear.js';
export { lora_hf_conv1d } from './lora/conv1d.js';
export { lora_nn_embedding, type EmbeddingBase } from './lora/embedding.js';
export { lora_nn_conv2d, type Conv2dBase } from './lora/conv2d.js';
export { lora_apply } from './lora/apply.js';
export { lora_layers, lora_parameter_counts } from './lora/model.js';
export {
  lora_adapters, lora_active_adapter, lora_set_adapter, lora_delete_adapter, with_adapter, with_adapters_disabled, with_adapter_names, lora_parameters,
} from './lora/adapters.js';
export { lora_merge, lora_unmerge, merge_and_unload, lora_unload } from './lora/merge.js';
export { lora_save, lora_load, LORA_WEIGHTS_NAME, LORA_CONFIG_HASH_KEY, type LoraSaveOptions } from './lora/files.js';
export { lora_config, LORA_CONFIG_NAME, PEFT_TASK_TYPES, type PeftLoraConfig, type PeftTaskType } from './lora/config.js';
export { ModulesToSaveWrapper } from './lora/modules_to_save.js';
export * from './ops/selection.js';
export * from './ops/math.js';
export * from './ops/reduction.js';
export { torch_clamp_ } from './ops/inplace.js';
export { torch_permute, torch_reshape, torch_flatten, torch_squeeze } from './ops/shape.js';
export * from './ops/generated/functions.js';
export { aten } from './ops/aten.js';
// Linear algebra and the rest of R torch's tensor ops (issue 24, part A).
export * from './ops/linalg.js';
export { torch_median, torch_quantile, type QuantileOptions } from './ops/statistics.js';
export type { OpSchema, OpArgument } from './core/dispatch.js';
export * from './nn/losses.js';
export * from './nn/activations.js';
// nn layers and functionals of issue 24 (activations, losses, convolutions, transformer)
export * from './nn/functional_activations.js';
export * from './nn/activations_pointwise.js';
export * from './nn/losses_margin.js';
export * from './nn/convolution.js';
export * from './nn/dropout.js';
export * from './nn/functional_distance.js';
export * from './nn/transformer.js';
export * from './nn/weight_norm.js';
export * from './nn/pooling_power.js';
export * from './nn/interpolate.js';
export * from './nn/embedding_bag.js';
export { start_job, TrainingJob, JobCancelledError, type JobState, type StartJobOptions } from './jobs/job.js';
export { define_job, JobContext, JobCancelled, type JobFunction, type StepReport } from './jobs/context.js';
export { type JobEvent, type JobProgress } from './jobs/protocol.js';
export { lora_server, LoraServer, type LoraServerOptions, type RemoveAdapterOptions } from './lora/server.js';
// Typed user code (issue 25): module definitions, values, batches and jobs.
export type { nn_module_fields } from './nn/generator.js';
export type { NodeBuffer } from './core/symbols.js';
export type { ValueKind, ValueOf, Nested, NestedOf } from './ops/values.js';
export type { Collated, LoaderBatch } from './data/data.js';
export type { JobInput, JobResult, StartJobArguments, ModuleUrl, TrainingJobEvents, TrainingJobEmitter } from './jobs/job.js';
// state_dict's keys typed from the module's type (typing, issue 25).
export { nn_state, type nn_state_dict, type ModuleState, type ContainerState, type RestructuredState } from './nn/state_keys.js';
// The service (issue 26): the adapter-name rule routes share with lora_server.
export { lora_check_adapter_name } from './lora/server.js';

// Hugging Face models, tokenizers and training.
export * from './hf/training.js';
export {
  hf_tokenizer, type HfTokenizer, type HfTokenizerOptions, type HfTokenizeOptions, type HfDecodeOptions, type HfBatchEncoding, type HfPaddingSide,
} from './hf/tokenizer.js';
// Hugging Face tokenizers: text pairs and chat templates.
export type { HfEncoded } from './hf/tokenizer.js';
export type { HfChatMessage, HfChatTemplateOptions } from './hf/chat_template.js';
export * from './hf/load.js';
export * from './hf/generate.js';
export { HfCache, type KeyValueCacheLike } from './hf/cache.js';
// The top-level classes; their parts (layers, attention, heads) are types only: they are made
// by their model from its checked settings, never from user input.
export {
  LlamaForCausalLM, LlamaModel, LlamaRMSNorm, type LlamaDecoderLayer, type LlamaAttention, type LlamaMLP,
  type LlamaForwardOptions, type LlamaModelOutput, type CausalLMOutput,
} from './hf/llama.js';
export type { LlamaRotaryEmbedding } from './hf/rope.js';
export type { LlamaSettings } from './hf/llama_config.js';
export {
  GPT2Model, GPT2LMHeadModel, gpt2_config, type GPT2Block, type GPT2Attention, type GPT2MLP,
  type GPT2Settings, type GPT2ForwardOptions, type GPT2LMHeadModelForwardOptions, type GPT2ModelOutput, type GPT2LMHeadModelOutput,
} from './hf/gpt2.js';
export { GPT2ForSequenceClassification, type GPT2ForSequenceClassificationOptions, type GPT2SequenceClassifierOutput } from './hf/gpt2_heads.js';
export {
  BertModel, bert_config, type BertEmbeddings, type BertEncoder, type BertLayer, type BertAttention, type BertSelfAttention, type BertSelfOutput,
  type BertIntermediate, type BertOutput, type BertPooler, type BertSettings, type BertForwardOptions, type BertModelOutput, type BertModelOptions,
} from './hf/bert.js';
export {
  BertForSequenceClassification, BertForMaskedLM, type BertOnlyMLMHead, type BertLMPredictionHead, type BertPredictionHeadTransform,
  type BertHeadForwardOptions, type BertHeadOutput,
} from './hf/bert_heads.js';
export {
  BertForTokenClassification, BertForQuestionAnswering, type BertQuestionAnsweringOptions, type BertQuestionAnsweringOutput,
} from './hf/bert_token_heads.js';
