using Cloudtalk.Benchmarks;

// Load benchmark against a running system (./run.sh), see bench/README.md:
//   dotnet run -c Release --project Cloudtalk.Benchmarks -- load [--api http://localhost:5080] [--seconds 10] [--smoke]
return await LoadBenchmark.RunAsync(BenchmarkOptions.Parse(args));
