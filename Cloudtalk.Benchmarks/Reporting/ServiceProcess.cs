using System.Globalization;

namespace Cloudtalk.Benchmarks.Reporting;

/// <summary>
/// A running Cloudtalk service process on this machine, found through /proc (the harness runs beside the system
/// started by ./run.sh, as the same user).
/// </summary>
public sealed record ServiceProcess(string Name, int Pid)
{
    /// <summary>Every process of the named services, whether started as an apphost executable or through dotnet.</summary>
    public static IReadOnlyList<ServiceProcess> Find(params string[] names)
    {
        var found = new List<ServiceProcess>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var arguments = File.ReadAllText(Path.Combine(entry, "cmdline")).Split('\0');
                var executable = Path.GetFileName(arguments[0]);
                var name = names.FirstOrDefault(n => executable == n ||
                    (executable == "dotnet" && arguments.Length > 1 && Path.GetFileName(arguments[1]) == n + ".dll"));
                if (name is not null)
                {
                    found.Add(new ServiceProcess(name, pid));
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return found;
    }

    /// <summary>A memory figure from /proc/PID/status in bytes (VmRSS now, VmHWM the peak); 0 if the process is gone.</summary>
    public long Memory(string field)
    {
        try
        {
            var line = File.ReadLines($"/proc/{Pid}/status").FirstOrDefault(l => l.StartsWith(field + ":", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>An environment variable of the process (the AppHost hands connection strings over this way).</summary>
    public string? Environment(string variable)
    {
        var prefix = variable + "=";
        return File.ReadAllText($"/proc/{Pid}/environ").Split('\0')
            .FirstOrDefault(pair => pair.StartsWith(prefix, StringComparison.Ordinal))?[prefix.Length..];
    }
}
