#include "lowvolt/nn/weight_memory.h"

#include <torch/torch.h>

#include "lowvolt/common/error.h"

namespace lowvolt::host {

WeightMemory::WeightMemory(const QuantScheme& scheme, const std::vector<torch::Tensor>& params)
    : quantizer_(scheme) {
  LV_CHECK(!params.empty(), "a weight memory needs at least one parameter");
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> detached;
  detached.reserve(params.size());
  for (const auto& p : params) detached.push_back(p.detach());
  const auto quantized = quantizer_.quantize_all(detached);
  std::vector<torch::Tensor> flat;
  flat.reserve(quantized.size());
  std::int64_t offset = 0;
  for (std::size_t k = 0; k < quantized.size(); ++k) {
    params_.push_back(quantized[k].params);
    offsets_.push_back(offset);
    shapes_.push_back(params[k].sizes().vec());
    flat.push_back(quantized[k].codes.reshape({-1}));
    offset += params[k].numel();
  }
  codes_ = torch::cat(flat);
}

torch::Tensor WeightMemory::dequantize(const torch::Tensor& codes, std::size_t k) const {
  LV_CHECK(k < params_.size(), "parameter " << k << " of " << params_.size());
  LV_CHECK(codes.numel() == codes_.numel(),
           "code tensor has " << codes.numel() << " words, memory has " << codes_.numel());
  std::int64_t n = 1;
  for (const auto s : shapes_[k]) n *= s;
  return quantizer_.dequantize(codes.narrow(0, offsets_[k], n).view(shapes_[k]), params_[k]);
}

void WeightMemory::load(const torch::Tensor& codes, const std::vector<torch::Tensor>& targets) const {
  LV_CHECK(targets.size() == params_.size(),
           targets.size() << " targets for " << params_.size() << " parameters");
  torch::NoGradGuard no_grad;
  for (std::size_t k = 0; k < targets.size(); ++k) {
    auto target = targets[k];
    target.copy_(dequantize(codes, k));
  }
}

FloatBackup::FloatBackup(const std::vector<torch::Tensor>& params) {
  torch::NoGradGuard no_grad;
  saved_.reserve(params.size());
  for (const auto& p : params) saved_.push_back(p.detach().clone());
}

void FloatBackup::restore(const std::vector<torch::Tensor>& params) const {
  LV_CHECK(params.size() == saved_.size(), params.size() << " tensors for " << saved_.size());
  torch::NoGradGuard no_grad;
  for (std::size_t k = 0; k < params.size(); ++k) {
    auto target = params[k];
    target.copy_(saved_[k]);
  }
}

void clip_parameters(const std::vector<torch::Tensor>& params, double wmax) {
  LV_CHECK(wmax > 0, "wmax=" << wmax);
  torch::NoGradGuard no_grad;
  for (const auto& p : params) {
    auto target = p;
    target.clamp_(-wmax, wmax);
  }
}

}  // namespace lowvolt::host
