namespace Cloudtalk.Benchmarks.Reporting;

/// <summary>Peak resident memory (VmHWM) of the running service processes, the largest per service.</summary>
public static class PeakMemory
{
    public static IReadOnlyDictionary<string, long> OfServices(params string[] names) =>
        ServiceProcess.Find(names)
            .GroupBy(process => process.Name)
            .ToDictionary(group => group.Key, group => group.Max(process => process.Memory("VmHWM")));

    /// <summary>The peak so far of one service (its largest process); 0 if none runs.</summary>
    public static long OfService(string name) => OfServices(name).GetValueOrDefault(name);
}
