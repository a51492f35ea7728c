using BenchmarkDotNet.Running;
using Cloudtalk.Benchmarks;
using Cloudtalk.Benchmarks.Soak;

// See bench/README.md.
//   load:  dotnet run -c Release --project Cloudtalk.Benchmarks -- load [--api http://localhost:5080] [--smoke]
//   soak:  dotnet run -c Release --project Cloudtalk.Benchmarks -- soak [--minutes 5] [--output FILE]
//   micro: dotnet run -c Release --project Cloudtalk.Benchmarks -- micro [BenchmarkDotNet arguments]
return args.FirstOrDefault() switch
{
    "load" => await LoadBenchmark.RunAsync(BenchmarkOptions.Parse(args[1..])),
    "soak" => await SoakBenchmark.RunAsync(BenchmarkOptions.Parse(args[1..])),
    "micro" => RunMicro(args[1..]),
    _ => Usage(),
};

static int RunMicro(string[] args)
{
    var summaries = BenchmarkSwitcher.FromAssembly(typeof(LoadBenchmark).Assembly).Run(args.Length == 0 ? ["--filter", "*"] : args);
    return summaries.Any(summary => summary.HasCriticalValidationErrors || summary.Reports.Any(report => !report.Success)) ? 1 : 0;
}

static int Usage()
{
    Console.Error.WriteLine("usage: Cloudtalk.Benchmarks load [--api URL] [--seconds N] [--smoke] [--output FILE] | soak [--minutes N] [--output FILE] | micro [BenchmarkDotNet args]");
    return 2;
}
