namespace Cloudtalk.Benchmarks.Reporting;

/// <summary>
/// The peak resident memory of the measured system's services: per service the highest <c>VmHWM</c> of its processes,
/// and the highest reading so far. Linux keeps <c>VmHWM</c> lazily (it records the high-water mark only when it is
/// about to lower the resident memory, and reads approximate per-CPU counters), so a later reading can come out
/// lower than an earlier one (by up to 68 kB in a quick test on this machine; enough to turn 188 MB into 187 in a
/// report); the peak is the highest seen.
/// </summary>
public sealed class PeakMemory(MeasuredSystem system)
{
    private readonly Dictionary<string, long> _highest = new(StringComparer.Ordinal);

    /// <summary>Reads the services now; the highest figure seen of each (bytes), for those that run or ran.</summary>
    public IReadOnlyDictionary<string, long> OfServices(params string[] names)
    {
        foreach (var service in system.Find(names).GroupBy(process => process.Name))
        {
            _highest[service.Key] = Math.Max(_highest.GetValueOrDefault(service.Key), service.Max(process => process.Memory("VmHWM")));
        }

        return names.Where(_highest.ContainsKey).ToDictionary(name => name, name => _highest[name], StringComparer.Ordinal);
    }

    /// <summary>Reads one service now; its highest figure seen (bytes), 0 if it never ran.</summary>
    public long OfService(string name) => OfServices(name).GetValueOrDefault(name);
}
