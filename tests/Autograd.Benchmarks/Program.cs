using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

// Run from the repository root, in Release:
//   dotnet run -c Release --project tests/Autograd.Benchmarks -- --filter '*W6*'
// Workloads are defined in ../shared/bench/WORKLOADS.md; the PyTorch side is ../shared/bench/torch, which reports
// medians: the Median column is the one to compare with it (the Mean carries the machine's outliers).
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly)
    .Run(args, DefaultConfig.Instance.AddColumn(StatisticColumn.Median, StatisticColumn.Min));
