using BenchmarkDotNet.Running;

// Runs the benchmarks named on the command line (BenchmarkDotNet's switcher: --filter '*Codec*').
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
