using System.Globalization;

namespace Cloudtalk.Benchmarks;

/// <summary>Command-line settings of the load benchmark.</summary>
public sealed record BenchmarkOptions(
    Uri Api,
    int Seconds,
    int WarmupSeconds,
    int Connections,
    int Products,
    int ReviewsPerProduct,
    int PropagationSamples,
    int SoakMinutes,
    string? OutputFile,
    string? ChartFile,
    IReadOnlyList<string> Only)
{
    /// <summary>Whether a part of the run is selected: everything without <c>--only</c>, else the parts whose name starts with one of its words.</summary>
    public bool Selects(string name) =>
        Only.Count == 0 || Only.Any(word => name.StartsWith(word, StringComparison.OrdinalIgnoreCase));

    public static BenchmarkOptions Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var smoke = false;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--smoke")
            {
                smoke = true;
            }
            else if (args[i].StartsWith("--", StringComparison.Ordinal) && i + 1 < args.Length)
            {
                values[args[i][2..]] = args[++i];
            }
        }

        int Number(string name, int normal, int smokeValue) =>
            values.TryGetValue(name, out var text) ? int.Parse(text, CultureInfo.InvariantCulture) : smoke ? smokeValue : normal;

        return new BenchmarkOptions(
            new Uri(values.GetValueOrDefault("api", "http://localhost:5080")),
            Seconds: Number("seconds", 15, 2),
            WarmupSeconds: Number("warmup", 5, 1),
            Connections: Number("connections", 32, 8),
            Products: Number("products", 1000, 50),
            ReviewsPerProduct: Number("reviews", 5, 2),
            PropagationSamples: Number("samples", 200, 20),
            SoakMinutes: Number("minutes", 5, 1),
            OutputFile: values.GetValueOrDefault("output"),
            ChartFile: values.GetValueOrDefault("chart"),
            Only: values.TryGetValue("only", out var only)
                ? only.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                : []);
    }
}
