using System.Globalization;

namespace Cloudtalk.Benchmarks.Reporting;

/// <summary>Peak resident memory (VmHWM) of the running service processes, read from /proc.</summary>
public static class PeakMemory
{
    public static IReadOnlyDictionary<string, long> OfServices(params string[] names)
    {
        var peaks = new Dictionary<string, long>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                var arguments = File.ReadAllText(Path.Combine(entry, "cmdline")).Split('\0');
                var executable = Path.GetFileName(arguments[0]);
                var name = names.FirstOrDefault(n => executable == n || (executable == "dotnet" && arguments.Length > 1 && Path.GetFileName(arguments[1]) == n + ".dll"));
                if (name is null)
                {
                    continue;
                }

                var line = File.ReadLines(Path.Combine(entry, "status")).First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
                var kilobytes = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
                peaks[name] = Math.Max(peaks.GetValueOrDefault(name), kilobytes * 1024);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return peaks;
    }
}
