using System.ComponentModel;
using System.Diagnostics;

namespace Cloudtalk.Benchmarks.Reporting;

/// <summary>
/// The CPU time each part of the system used during a measured run, from all of its processes (found by the name
/// Linux gives them). Divided by the run's requests it says what a request costs each part, a figure far steadier
/// across runs on a shared machine than requests per second. A process that exits during the run loses its share
/// (PostgreSQL's backends are pooled, so few do).
/// </summary>
public sealed class SystemCpu
{
    /// <summary>The parts, by the start of their process name (Linux keeps 15 characters of it).</summary>
    public static readonly IReadOnlyList<(string Part, string ProcessName)> Parts =
    [
        ("Api", "Cloudtalk.Api"),
        ("Rating", "Cloudtalk.Ratin"),
        ("PostgreSQL", "postgres"),
        ("RabbitMQ", "beam.smp"),
        ("Redis", "redis-server"),
        ("dashboard", "Aspire.Dashboar"),
    ];

    private readonly Dictionary<int, (string Part, TimeSpan Cpu)> _start;

    private SystemCpu(Dictionary<int, (string Part, TimeSpan Cpu)> start) => _start = start;

    /// <summary>Starts counting.</summary>
    public static SystemCpu Start() => new(Sample());

    /// <summary>The CPU time each part used since <see cref="Start"/>.</summary>
    public IReadOnlyDictionary<string, TimeSpan> Stop()
    {
        var used = Parts.ToDictionary(part => part.Part, _ => TimeSpan.Zero, StringComparer.Ordinal);
        foreach (var (pid, (part, cpu)) in Sample())
        {
            used[part] += cpu - (_start.TryGetValue(pid, out var start) ? start.Cpu : TimeSpan.Zero);
        }

        return used;
    }

    private static Dictionary<int, (string Part, TimeSpan Cpu)> Sample()
    {
        var sample = new Dictionary<int, (string Part, TimeSpan Cpu)>();
        foreach (var process in Process.GetProcesses())
        {
            using (process)
            {
                try
                {
                    var name = process.ProcessName;
                    var part = Parts.FirstOrDefault(p => name.StartsWith(p.ProcessName, StringComparison.Ordinal)).Part;
                    if (part is not null)
                    {
                        sample[process.Id] = (part, process.TotalProcessorTime);
                    }
                }
                catch (Exception exception) when (exception is InvalidOperationException or Win32Exception)
                {
                    // Gone between the listing and the read.
                }
            }
        }

        return sample;
    }
}
