namespace Switchyard.Tests.Models;

/// <summary>
/// config.json files as published on the Hugging Face Hub for one checkpoint of each supported
/// MoE architecture (field names and values as in the real files, keys sorted as transformers
/// writes them).
/// </summary>
internal static class SampleConfigs
{
    public const string Mixtral8x7B = """
    {
      "architectures": ["MixtralForCausalLM"],
      "attention_dropout": 0.0,
      "bos_token_id": 1,
      "eos_token_id": 2,
      "hidden_act": "silu",
      "hidden_size": 4096,
      "initializer_range": 0.02,
      "intermediate_size": 14336,
      "max_position_embeddings": 32768,
      "model_type": "mixtral",
      "num_attention_heads": 32,
      "num_experts_per_tok": 2,
      "num_hidden_layers": 32,
      "num_key_value_heads": 8,
      "num_local_experts": 8,
      "output_router_logits": false,
      "rms_norm_eps": 1e-05,
      "rope_theta": 1000000.0,
      "router_aux_loss_coef": 0.02,
      "sliding_window": null,
      "tie_word_embeddings": false,
      "torch_dtype": "bfloat16",
      "transformers_version": "4.36.0.dev0",
      "use_cache": true,
      "vocab_size": 32000
    }
    """;

    public const string Qwen15MoeA27B = """
    {
      "architectures": ["Qwen2MoeForCausalLM"],
      "attention_dropout": 0.0,
      "bos_token_id": 151643,
      "decoder_sparse_step": 1,
      "eos_token_id": 151643,
      "hidden_act": "silu",
      "hidden_size": 2048,
      "initializer_range": 0.02,
      "intermediate_size": 5632,
      "max_position_embeddings": 8192,
      "max_window_layers": 21,
      "model_type": "qwen2_moe",
      "moe_intermediate_size": 1408,
      "norm_topk_prob": false,
      "num_attention_heads": 16,
      "num_experts": 60,
      "num_experts_per_tok": 4,
      "num_hidden_layers": 24,
      "num_key_value_heads": 16,
      "output_router_logits": false,
      "rms_norm_eps": 1e-06,
      "rope_theta": 1000000.0,
      "router_aux_loss_coef": 0.001,
      "shared_expert_intermediate_size": 5632,
      "sliding_window": 32768,
      "tie_word_embeddings": false,
      "torch_dtype": "bfloat16",
      "transformers_version": "4.40.0.dev0",
      "use_cache": true,
      "use_sliding_window": false,
      "vocab_size": 151936
    }
    """;

    public const string Qwen3Moe30BA3B = """
    {
      "architectures": ["Qwen3MoeForCausalLM"],
      "attention_bias": false,
      "attention_dropout": 0.0,
      "bos_token_id": 151643,
      "decoder_sparse_step": 1,
      "eos_token_id": 151645,
      "head_dim": 128,
      "hidden_act": "silu",
      "hidden_size": 2048,
      "initializer_range": 0.02,
      "intermediate_size": 6144,
      "max_position_embeddings": 40960,
      "max_window_layers": 48,
      "mlp_only_layers": [],
      "model_type": "qwen3_moe",
      "moe_intermediate_size": 768,
      "norm_topk_prob": true,
      "num_attention_heads": 32,
      "num_experts": 128,
      "num_experts_per_tok": 8,
      "num_hidden_layers": 48,
      "num_key_value_heads": 4,
      "output_router_logits": false,
      "rms_norm_eps": 1e-06,
      "rope_scaling": null,
      "rope_theta": 1000000.0,
      "router_aux_loss_coef": 0.001,
      "sliding_window": null,
      "tie_word_embeddings": false,
      "torch_dtype": "bfloat16",
      "transformers_version": "4.51.0",
      "use_cache": true,
      "use_sliding_window": false,
      "vocab_size": 151936
    }
    """;

    public const string Olmoe1B7B = """
    {
      "architectures": ["OlmoeForCausalLM"],
      "attention_bias": false,
      "attention_dropout": 0.0,
      "bos_token_id": null,
      "clip_qkv": null,
      "eos_token_id": 50279,
      "hidden_act": "silu",
      "hidden_size": 2048,
      "initializer_range": 0.02,
      "intermediate_size": 1024,
      "max_position_embeddings": 4096,
      "model_type": "olmoe",
      "norm_topk_prob": false,
      "num_attention_heads": 16,
      "num_experts": 64,
      "num_experts_per_tok": 8,
      "num_hidden_layers": 16,
      "num_key_value_heads": 16,
      "output_router_logits": false,
      "pad_token_id": 1,
      "rms_norm_eps": 1e-05,
      "rope_scaling": null,
      "rope_theta": 10000.0,
      "router_aux_loss_coef": 0.01,
      "tie_word_embeddings": false,
      "torch_dtype": "bfloat16",
      "transformers_version": "4.43.0.dev0",
      "use_cache": true,
      "vocab_size": 50304
    }
    """;

    public const string Granite30MoeA400M = """
    {
      "architectures": ["GraniteMoeForCausalLM"],
      "attention_bias": false,
      "attention_dropout": 0.0,
      "attention_multiplier": 0.015625,
      "bos_token_id": 0,
      "embedding_multiplier": 12.0,
      "eos_token_id": 0,
      "hidden_act": "silu",
      "hidden_size": 1024,
      "initializer_range": 0.02,
      "intermediate_size": 512,
      "logits_scaling": 6.0,
      "max_position_embeddings": 4096,
      "model_type": "granitemoe",
      "num_attention_heads": 16,
      "num_experts_per_tok": 8,
      "num_hidden_layers": 24,
      "num_key_value_heads": 8,
      "num_local_experts": 32,
      "output_router_logits": false,
      "pad_token_id": 0,
      "residual_multiplier": 0.22,
      "rms_norm_eps": 1e-06,
      "rope_scaling": null,
      "rope_theta": 10000,
      "router_aux_loss_coef": 0.0,
      "tie_word_embeddings": true,
      "torch_dtype": "bfloat16",
      "transformers_version": "4.46.0.dev0",
      "use_cache": true,
      "vocab_size": 49155
    }
    """;

    public const string Llama32_1B = """
    {
      "architectures": ["LlamaForCausalLM"],
      "attention_bias": false,
      "attention_dropout": 0.0,
      "bos_token_id": 128000,
      "eos_token_id": [128001, 128008, 128009],
      "head_dim": 64,
      "hidden_act": "silu",
      "hidden_size": 2048,
      "initializer_range": 0.02,
      "intermediate_size": 8192,
      "max_position_embeddings": 131072,
      "mlp_bias": false,
      "model_type": "llama",
      "num_attention_heads": 32,
      "num_hidden_layers": 16,
      "num_key_value_heads": 8,
      "pretraining_tp": 1,
      "rms_norm_eps": 1e-05,
      "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0, "original_max_position_embeddings": 8192, "rope_type": "llama3"},
      "rope_theta": 500000.0,
      "tie_word_embeddings": true,
      "torch_dtype": "bfloat16",
      "transformers_version": "4.45.0.dev0",
      "use_cache": true,
      "vocab_size": 128256
    }
    """;

    public static TheoryData<string, string> All => new()
    {
        { "mixtral", Mixtral8x7B },
        { "qwen2_moe", Qwen15MoeA27B },
        { "qwen3_moe", Qwen3Moe30BA3B },
        { "olmoe", Olmoe1B7B },
        { "granitemoe", Granite30MoeA400M },
        { "llama", Llama32_1B },
    };
}
