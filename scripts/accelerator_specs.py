"""Hand-curated accelerator specs, written to the package's data folder by curate_catalog.py.

Every number is copied from ``../shared/data/accelerators.csv`` (whose ``source_urls`` column
names the page each value was read from) or from the page named in ``extra_source``. Values that
no read page states are *assumptions*: they are listed in ``assumed`` with their reasoning, so
the catalog can show them as such. Empty means "not sourced".
"""

from __future__ import annotations

from typing import Any

SHARED_AS_OF = "2026-11-09"  # date the shared spec sheet was compiled (offerings.README.md)

NV_DGX_NIC_400 = (
    "scale_out_gbps=400: one 400 Gb/s ConnectX-7 NIC per GPU in the DGX/HGX H100-class "
    "reference design (p5.48xlarge: 3,200 Gbps EFA per 8 GPUs = 400 per GPU)"
)

# fmt: off
SPECS: list[dict[str, Any]] = [
    dict(id="a100-40gb", name="NVIDIA A100 40GB SXM4", vendor="NVIDIA", bf16_tflops=312, fp8_tflops=None, hbm_gib=40, hbm_tbps=1.555, scale_up_chips=8, scale_up_gbps=4800, scale_out_gbps=200, tdp_w=400, cores_per_chip=1, core_name="GPU",
         aliases="A100;A100-40G;A100-40GB;A100-SXM4-40GB;A100 40GB", shared="NVIDIA A100-40G",
         assumed="scale_out_gbps=200: DGX A100 reference design has one 200 Gb/s HDR InfiniBand NIC per GPU (p4d.24xlarge: 400 Gbps EFA per 8 GPUs = 50 per GPU on AWS)"),
    dict(id="a100-80gb", name="NVIDIA A100 80GB SXM4", vendor="NVIDIA", bf16_tflops=312, fp8_tflops=None, hbm_gib=80, hbm_tbps=2.039, scale_up_chips=8, scale_up_gbps=4800, scale_out_gbps=200, tdp_w=400, cores_per_chip=1, core_name="GPU",
         aliases="A100-80G;A100-80GB;A100-SXM4-80GB;A100 80GB", shared="NVIDIA A100-80G",
         assumed="scale_out_gbps=200: DGX A100 reference design, one 200 Gb/s HDR NIC per GPU"),
    dict(id="h100", name="NVIDIA H100 SXM5 80GB", vendor="NVIDIA", bf16_tflops=989.4, fp8_tflops=1978.9, hbm_gib=80, hbm_tbps=3.35, scale_up_chips=8, scale_up_gbps=7200, scale_out_gbps=400, tdp_w=700, cores_per_chip=1, core_name="GPU",
         aliases="H100-SXM;H100-SXM5;H100 SXM;H100-80GB;H100-MEGA;H100-SXM-80GB", shared="NVIDIA H100-SXM", assumed=NV_DGX_NIC_400),
    dict(id="h100-nvl", name="NVIDIA H100 NVL 94GB (PCIe)", vendor="NVIDIA", bf16_tflops=None, fp8_tflops=None, hbm_gib=94, hbm_tbps=3.9, scale_up_chips=2, scale_up_gbps=None, scale_out_gbps=None, tdp_w=None, cores_per_chip=1, core_name="GPU",
         aliases="H100NVL;H100 NVL", shared=None,
         extra_source="https://acecloud.ai/blog/hbm3e-nvidia-h200-ai-training-inference/ (quotes NVIDIA: H100 NVL 94 GB, up to 3.9 TB/s)",
         notes="Azure NC/NCC H100 v5. Compute not read from a source; pairs joined by NVLink bridge (scale_up_chips=2)."),
    dict(id="h200", name="NVIDIA H200 SXM 141GB", vendor="NVIDIA", bf16_tflops=989.4, fp8_tflops=1978.9, hbm_gib=141, hbm_tbps=4.8, scale_up_chips=8, scale_up_gbps=7200, scale_out_gbps=400, tdp_w=700, cores_per_chip=1, core_name="GPU",
         aliases="H200-SXM;H200 SXM;H200-141GB", shared="NVIDIA H200",
         extra_source="https://openmetal.io/resources/blog/how-the-h200-is-built-for-memory-bound-ai-workloads/ and https://www.aiminingco.com/gpu/h200/specs (4.8 TB/s, 700 W)",
         assumed=NV_DGX_NIC_400),
    dict(id="gh200", name="NVIDIA GH200 Grace Hopper", vendor="NVIDIA", bf16_tflops=None, fp8_tflops=None, hbm_gib=None, hbm_tbps=None, scale_up_chips=None, scale_up_gbps=None, scale_out_gbps=None, tdp_w=None, cores_per_chip=1, core_name="GPU",
         aliases="GH200;Grace Hopper", shared=None, notes="Specs not curated: no source read (offered by Lambda and CoreWeave)."),
    dict(id="b200", name="NVIDIA B200 (HGX)", vendor="NVIDIA", bf16_tflops=2250, fp8_tflops=4500, hbm_gib=180, hbm_tbps=8.0, scale_up_chips=8, scale_up_gbps=14400, scale_out_gbps=400, tdp_w=1000, cores_per_chip=1, core_name="GPU",
         aliases="B200-SXM;HGX B200", shared="NVIDIA B200",
         assumed="scale_out_gbps=400: DGX B200 reference design, one 400 Gb/s ConnectX-7 NIC per GPU"),
    dict(id="b300", name="NVIDIA B300 Blackwell Ultra (HGX)", vendor="NVIDIA", bf16_tflops=2250, fp8_tflops=4500, hbm_gib=288, hbm_tbps=8.0, scale_up_chips=8, scale_up_gbps=14400, scale_out_gbps=800, tdp_w=1400, cores_per_chip=1, core_name="GPU",
         aliases="Blackwell Ultra;HGX B300", shared=None,
         extra_source="https://glennklockwood.com/garden/processors/B300 (HGX B300 matrix BF16 2250 / FP8 4500 dense, 288 GB HBM3e, 8 TB/s, 2x900 GB/s NVLink 5, 1400 W max)",
         assumed="scale_out_gbps=800: one 800 Gb/s ConnectX-8 NIC per GPU (GB300 NVL72 lists 72 ConnectX-8 NICs for 72 GPUs, same page)"),
    dict(id="gb200", name="NVIDIA GB200 (B200 in NVL72)", vendor="NVIDIA", bf16_tflops=2500, fp8_tflops=5000, hbm_gib=186, hbm_tbps=8.0, scale_up_chips=72, scale_up_gbps=14400, scale_out_gbps=400, tdp_w=1200, cores_per_chip=1, core_name="GPU",
         aliases="GB200 NVL72;GB200-NVL72;B200-NVL72", shared="NVIDIA GB200 (B200 in NVL72)",
         assumed="scale_out_gbps=400: one 400 Gb/s ConnectX-7 NIC per GPU in GB200 NVL72 compute trays"),
    dict(id="gb300", name="NVIDIA GB300 (B300 in NVL72)", vendor="NVIDIA", bf16_tflops=2500, fp8_tflops=5000, hbm_gib=288, hbm_tbps=8.0, scale_up_chips=72, scale_up_gbps=14400, scale_out_gbps=800, tdp_w=1400, cores_per_chip=1, core_name="GPU",
         aliases="GB300 NVL72;GB300-NVL72", shared=None,
         extra_source="https://glennklockwood.com/garden/processors/B300 (GB300 NVL72: 360 PF FP8 for training = 5,000 TF per GPU; 576 TB/s HBM = 8 TB/s per GPU; 72 ConnectX-8 NICs; 288 GB per B300)",
         assumed="bf16_tflops=2500: half of the 5,000 TF FP8 per GPU, the ratio of every other Blackwell part"),
    dict(id="l4", name="NVIDIA L4", vendor="NVIDIA", bf16_tflops=121, fp8_tflops=242.5, hbm_gib=24, hbm_tbps=0.3, scale_up_chips=1, scale_up_gbps=None, scale_out_gbps=None, tdp_w=72, cores_per_chip=1, core_name="GPU",
         aliases="L4-24GB", shared="NVIDIA L4"),
    dict(id="l40s", name="NVIDIA L40S", vendor="NVIDIA", bf16_tflops=362.05, fp8_tflops=733, hbm_gib=48, hbm_tbps=0.864, scale_up_chips=1, scale_up_gbps=None, scale_out_gbps=None, tdp_w=350, cores_per_chip=1, core_name="GPU",
         aliases="L40S-48GB", shared="NVIDIA L40S"),
    dict(id="l40", name="NVIDIA L40", vendor="NVIDIA", bf16_tflops=None, fp8_tflops=None, hbm_gib=48, hbm_tbps=None, scale_up_chips=1, scale_up_gbps=None, scale_out_gbps=None, tdp_w=None, cores_per_chip=1, core_name="GPU",
         aliases="L40-48GB", shared=None, extra_source="https://www.coreweave.com/pricing (L40 48 GB)", notes="Compute not curated: no source read."),
    dict(id="v100", name="NVIDIA V100 16GB", vendor="NVIDIA", bf16_tflops=None, fp8_tflops=None, hbm_gib=16, hbm_tbps=0.9, scale_up_chips=8, scale_up_gbps=None, scale_out_gbps=None, tdp_w=300, cores_per_chip=1, core_name="GPU",
         aliases="V100-16GB;Tesla V100", shared=None, extra_source="https://sysrqmts.com/es/gpus/compare/nvidia-tesla-t4-vs-nvidia-tesla-v100-sxm3-32-gb (HBM2 897 GB/s)",
         notes="No bf16 tensor cores (Volta): bf16_tflops left empty, so no price per bf16 PFLOP-hour."),
    dict(id="v100-32gb", name="NVIDIA V100 32GB", vendor="NVIDIA", bf16_tflops=None, fp8_tflops=None, hbm_gib=32, hbm_tbps=0.897, scale_up_chips=8, scale_up_gbps=None, scale_out_gbps=None, tdp_w=None, cores_per_chip=1, core_name="GPU",
         aliases="V100-32G", shared=None, extra_source="https://sysrqmts.com/es/gpus/compare/nvidia-tesla-t4-vs-nvidia-tesla-v100-sxm3-32-gb (32 GB HBM2, 897 GB/s)",
         notes="No bf16 tensor cores (Volta)."),
    dict(id="t4", name="NVIDIA T4", vendor="NVIDIA", bf16_tflops=None, fp8_tflops=None, hbm_gib=16, hbm_tbps=0.32, scale_up_chips=1, scale_up_gbps=None, scale_out_gbps=None, tdp_w=70, cores_per_chip=1, core_name="GPU",
         aliases="Tesla T4", shared=None, extra_source="https://sysrqmts.com/gpus/compare/nvidia-a100-sxm4-40-gb-vs-nvidia-tesla-t4 (16 GB GDDR6, 320 GB/s, 70 W, FP16 65 TFLOPS)",
         notes="No bf16 (Turing); FP16 tensor 65 TFLOPS."),
    dict(id="a10g", name="NVIDIA A10G (AWS)", vendor="NVIDIA", bf16_tflops=None, fp8_tflops=None, hbm_gib=24, hbm_tbps=None, scale_up_chips=1, scale_up_gbps=None, scale_out_gbps=None, tdp_w=None, cores_per_chip=1, core_name="GPU",
         aliases="A10G-24GB", shared=None, notes="Compute not curated: AWS publishes no A10G figure that was read."),
    dict(id="a10", name="NVIDIA A10", vendor="NVIDIA", bf16_tflops=None, fp8_tflops=None, hbm_gib=24, hbm_tbps=None, scale_up_chips=1, scale_up_gbps=None, scale_out_gbps=None, tdp_w=None, cores_per_chip=1, core_name="GPU",
         aliases="A10-24GB", shared=None, notes="Compute not curated: no source read."),
    dict(id="p100", name="NVIDIA P100", vendor="NVIDIA", bf16_tflops=None, fp8_tflops=None, hbm_gib=16, hbm_tbps=None, scale_up_chips=1, scale_up_gbps=None, scale_out_gbps=None, tdp_w=None, cores_per_chip=1, core_name="GPU",
         aliases="Tesla P100", shared=None, notes="No tensor cores; specs not curated."),
    dict(id="p4", name="NVIDIA P4", vendor="NVIDIA", bf16_tflops=None, fp8_tflops=None, hbm_gib=8, hbm_tbps=None, scale_up_chips=1, scale_up_gbps=None, scale_out_gbps=None, tdp_w=None, cores_per_chip=1, core_name="GPU",
         aliases="Tesla P4", shared=None, notes="Inference card; specs not curated."),
    dict(id="a6000", name="NVIDIA RTX A6000", vendor="NVIDIA", bf16_tflops=None, fp8_tflops=None, hbm_gib=48, hbm_tbps=None, scale_up_chips=1, scale_up_gbps=None, scale_out_gbps=None, tdp_w=None, cores_per_chip=1, core_name="GPU",
         aliases="RTX-A6000", shared=None, notes="Workstation card; specs not curated."),
    dict(id="rtx6000", name="NVIDIA Quadro RTX 6000", vendor="NVIDIA", bf16_tflops=None, fp8_tflops=None, hbm_gib=24, hbm_tbps=None, scale_up_chips=1, scale_up_gbps=None, scale_out_gbps=None, tdp_w=None, cores_per_chip=1, core_name="GPU",
         aliases="Quadro RTX 6000", shared=None, notes="Workstation card; specs not curated."),
    dict(id="rtxpro6000", name="NVIDIA RTX PRO 6000 Blackwell", vendor="NVIDIA", bf16_tflops=None, fp8_tflops=None, hbm_gib=96, hbm_tbps=None, scale_up_chips=1, scale_up_gbps=None, scale_out_gbps=None, tdp_w=None, cores_per_chip=1, core_name="GPU",
         aliases="RTX PRO 6000;RTXPRO6000BSE", shared=None, notes="Specs not curated."),
    dict(id="mi300x", name="AMD Instinct MI300X", vendor="AMD", bf16_tflops=1307.4, fp8_tflops=2614.9, hbm_gib=192, hbm_tbps=5.3, scale_up_chips=8, scale_up_gbps=7168, scale_out_gbps=400, tdp_w=750, cores_per_chip=1, core_name="GPU",
         aliases="MI300;Instinct MI300X", shared="AMD MI300X",
         assumed="scale_out_gbps=400: one 400 Gb/s NIC per GPU, as in the OCI BM.GPU.MI300X.8 and Azure ND MI300X v5 designs (not read here)"),
    dict(id="mi325x", name="AMD Instinct MI325X", vendor="AMD", bf16_tflops=1307.4, fp8_tflops=2614.9, hbm_gib=256, hbm_tbps=6.0, scale_up_chips=8, scale_up_gbps=7168, scale_out_gbps=400, tdp_w=1000, cores_per_chip=1, core_name="GPU",
         aliases="Instinct MI325X", shared="AMD MI325X", assumed="scale_out_gbps=400: as MI300X"),
    dict(id="mi355x", name="AMD Instinct MI355X", vendor="AMD", bf16_tflops=2516, fp8_tflops=5033, hbm_gib=288, hbm_tbps=8.0, scale_up_chips=8, scale_up_gbps=None, scale_out_gbps=400, tdp_w=1400, cores_per_chip=1, core_name="GPU",
         aliases="Instinct MI355X", shared="AMD MI355X", assumed="scale_out_gbps=400: as MI300X"),
    dict(id="tpu-v3", name="Google TPU v3", vendor="Google", bf16_tflops=123, fp8_tflops=None, hbm_gib=32, hbm_tbps=0.9, scale_up_chips=1024, scale_up_gbps=None, scale_out_gbps=None, tdp_w=262, cores_per_chip=2, core_name="TensorCore",
         aliases="v3;tpuv3;TPU v3", shared=None, extra_source="https://cloud.google.com/tpu/docs/v3 (123 TFLOPS bf16, 32 GiB HBM2 900 GBps, 123/220/262 W, pod 1,024 chips, 2 TensorCores per chip)"),
    dict(id="tpu-v2", name="Google TPU v2", vendor="Google", bf16_tflops=None, fp8_tflops=None, hbm_gib=None, hbm_tbps=None, scale_up_chips=None, scale_up_gbps=None, scale_out_gbps=None, tdp_w=None, cores_per_chip=2, core_name="TensorCore",
         aliases="v2;tpuv2;TPU v2", shared=None, notes="Specs not curated: no source read."),
    dict(id="tpu-v4", name="Google TPU v4", vendor="Google", bf16_tflops=275, fp8_tflops=None, hbm_gib=32, hbm_tbps=1.2, scale_up_chips=4096, scale_up_gbps=2400, scale_out_gbps=None, tdp_w=192, cores_per_chip=2, core_name="TensorCore",
         aliases="v4;tpuv4;TPU v4", shared="Google TPU v4",
         assumed="scale_up_gbps=2400: half of TPU v5p's 4,800 Gbps ICI, as Google's v5p launch compares the two (2x ICI); the v4 page states no per-chip ICI figure"),
    dict(id="tpu-v5e", name="Google TPU v5e", vendor="Google", bf16_tflops=197, fp8_tflops=None, hbm_gib=16, hbm_tbps=0.819, scale_up_chips=256, scale_up_gbps=3200, scale_out_gbps=25, tdp_w=None, cores_per_chip=1, core_name="TensorCore",
         aliases="v5e;tpu-v5litepod;v5litepod;tpu-v5-lite;TPU v5e;tpu-v5lite", shared="Google TPU v5e"),
    dict(id="tpu-v5p", name="Google TPU v5p", vendor="Google", bf16_tflops=459, fp8_tflops=None, hbm_gib=95, hbm_tbps=2.765, scale_up_chips=8960, scale_up_gbps=4800, scale_out_gbps=None, tdp_w=None, cores_per_chip=2, core_name="TensorCore",
         aliases="v5p;tpuv5p;TPU v5p", shared="Google TPU v5p"),
    dict(id="tpu-v6e", name="Google TPU v6e Trillium", vendor="Google", bf16_tflops=918, fp8_tflops=None, hbm_gib=32, hbm_tbps=1.638, scale_up_chips=256, scale_up_gbps=6400, scale_out_gbps=None, tdp_w=None, cores_per_chip=1, core_name="TensorCore",
         aliases="Trillium;v6e;TPU v6e;tpu-trillium", shared="Google TPU v6e Trillium"),
    dict(id="tpu-v7", name="Google TPU7x Ironwood", vendor="Google", bf16_tflops=2307, fp8_tflops=4614, hbm_gib=192, hbm_tbps=7.3, scale_up_chips=9216, scale_up_gbps=9600, scale_out_gbps=None, tdp_w=None, cores_per_chip=2, core_name="TensorCore",
         aliases="Ironwood;tpu7x;TPU7x;tpu-7x;v7;tpu-ironwood", shared="Google TPU7x Ironwood"),
    dict(id="trn1", name="AWS Trainium (Trn1)", vendor="AWS", bf16_tflops=190, fp8_tflops=190, hbm_gib=32, hbm_tbps=0.88, scale_up_chips=16, scale_up_gbps=None, scale_out_gbps=50, tdp_w=None, cores_per_chip=2, core_name="NeuronCore-v2",
         aliases="Trainium;Trainium1;trn1n;AWS Trainium", shared="AWS Trainium1"),
    dict(id="trn2", name="AWS Trainium2 (Trn2)", vendor="AWS", bf16_tflops=667, fp8_tflops=1299, hbm_gib=96, hbm_tbps=2.9, scale_up_chips=64, scale_up_gbps=None, scale_out_gbps=200, tdp_w=None, cores_per_chip=8, core_name="NeuronCore-v3",
         aliases="Trainium2;AWS Trainium2;trn2u;Trn2 UltraServer", shared="AWS Trainium2",
         assumed="scale_out_gbps=200: trn2.48xlarge has 3.2 Tbps EFAv3 for 16 chips (AWS instance page, not read here)"),
    dict(id="trn3", name="AWS Trainium3 (Trn3)", vendor="AWS", bf16_tflops=671, fp8_tflops=2517, hbm_gib=144, hbm_tbps=4.9, scale_up_chips=None, scale_up_gbps=20480, scale_out_gbps=None, tdp_w=None, cores_per_chip=8, core_name="NeuronCore-v4",
         aliases="Trainium3;AWS Trainium3", shared="AWS Trainium3"),
    dict(id="inf2", name="AWS Inferentia2 (Inf2)", vendor="AWS", bf16_tflops=190, fp8_tflops=190, hbm_gib=32, hbm_tbps=0.88, scale_up_chips=12, scale_up_gbps=None, scale_out_gbps=None, tdp_w=None, cores_per_chip=2, core_name="NeuronCore-v2",
         aliases="Inferentia2;AWS Inferentia2", shared="AWS Inferentia2"),
    dict(id="gaudi3", name="Intel Gaudi 3", vendor="Intel", bf16_tflops=1835, fp8_tflops=1835, hbm_gib=128, hbm_tbps=3.7, scale_up_chips=8, scale_up_gbps=4800, scale_out_gbps=None, tdp_w=900, cores_per_chip=1, core_name="HPU",
         aliases="Gaudi3;Gaudi 3;HL-325", shared="Intel Gaudi 3"),
]
# fmt: on
