using BenchmarkDotNet.Running;

// Run from the repository root, in Release:
//   dotnet run -c Release --project tests/Autograd.Benchmarks -- --filter '*W6*'
// Workloads are defined in ../shared/bench/WORKLOADS.md; the PyTorch side is ../shared/bench/torch.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
