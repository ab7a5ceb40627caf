#!/usr/bin/env bash
# The reference's cold-start sweep (Dynamo docs, "Planner Replay Benchmarking", §3), unchanged except for the
# program name: `.venv/bin/python -m dynamo.replay` → `deno task replay`, and a guard in run_one that stops a
# run missing TRACE or OUT. Run it from the repository root.
# TRACE and OUT are plain (unexported) shell variables in the reference, so the `bash -c` children would not
# see them; start it with both already in the environment (any value: the script's own assignments below then
# update the exported variables): `TRACE= OUT= bash scenarios/reference_startup_sweep.sh`.
# The aic_* engine args select the analytic perf model; scenarios/cold_start.ts runs the same sweep as a DSL
# scenario, with any timing model.
set -euo pipefail

TRACE=traces/mooncake_fast25/toolagent_trace.jsonl
OUT=planner_reports/sweep_startup
mkdir -p "$OUT"

run_one() {
  local s=$1
  # (dynolab) Without TRACE and OUT in the environment, each run would fail and log to /startup_*.log.
  : "${TRACE:?start the sweep as: TRACE= OUT= bash scenarios/reference_startup_sweep.sh}"
  : "${OUT:?start the sweep as: TRACE= OUT= bash scenarios/reference_startup_sweep.sh}"
  local name=$(printf "dynosim_agg_startup_%03d.html" "$s")
  local extra
  if [[ "$s" -eq 0 ]]; then
    extra='{"aic_backend":"vllm","aic_system":"h200_sxm","aic_model_path":"nvidia/Llama-3.1-8B-Instruct-FP8","aic_tp_size":1}'
  else
    extra=$(printf '{"aic_backend":"vllm","aic_system":"h200_sxm","aic_model_path":"nvidia/Llama-3.1-8B-Instruct-FP8","aic_tp_size":1,"startup_time":%d}' "$s")
  fi
  deno task replay "$TRACE" \
    --planner-config "$(printf '{"mode":"agg","optimization_target":"sla","ttft_ms":1500,"itl_ms":50,"enable_throughput_scaling":true,"enable_load_scaling":true,"pre_deployment_sweeping_mode":"rapid","throughput_adjustment_interval_seconds":300,"load_adjustment_interval_seconds":10,"prefill_engine_num_gpu":1,"decode_engine_num_gpu":1,"report_filename":"%s"}' "$name")" \
    --extra-engine-args "$extra" \
    --num-workers 2 --arrival-speedup-ratio 1.0 \
    --report-json "$OUT/startup_$(printf '%03d' "$s").json" \
    >"$OUT/startup_$(printf '%03d' "$s").log" 2>&1
}

export -f run_one
# Run 12 sweeps in parallel; adjust -P for your machine.
seq 0 10 300 | xargs -n1 -P12 -I{} bash -c 'run_one "$@"' _ {}
