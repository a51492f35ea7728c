using System.Runtime.InteropServices;
using System.Text;

namespace Cloudtalk.AppHost.Backing.Local;

/// <summary>
/// Finds the processes of one local run through /proc: those whose environment carries
/// <see cref="LocalStateFolder.MarkerVariable"/> with the run's folder (children inherit it, so Erlang helpers are
/// found too), and those working inside the run's folder: redis-server and PostgreSQL's backends overwrite their
/// environment when they retitle themselves, so the marker alone misses them.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal static partial class RunProcesses
{
    public const int Interrupt = 2;
    public const int Kill = 9;

    public static IReadOnlyList<int> Find(string runFolder)
    {
        var marker = Encoding.UTF8.GetBytes($"{LocalStateFolder.MarkerVariable}={runFolder}\0");
        var found = new List<int>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(System.IO.Path.GetFileName(entry), out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                var environment = File.ReadAllBytes($"{entry}/environ");
                if ((environment.AsSpan().IndexOf(marker) >= 0 || WorksIn(entry, runFolder)) && !IsZombie(entry))
                {
                    found.Add(pid);
                }
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile, or not ours to read.
            }
        }

        return found;
    }

    public static void Signal(string runFolder, int signal)
    {
        foreach (var pid in Find(runFolder))
        {
            _ = SendSignal(pid, signal);
        }
    }

    private static bool WorksIn(string procEntry, string runFolder) =>
        new DirectoryInfo($"{procEntry}/cwd").LinkTarget is { } workingFolder &&
        (workingFolder + "/").StartsWith(System.IO.Path.TrimEndingDirectorySeparator(runFolder) + "/", StringComparison.Ordinal);

    private static bool IsZombie(string procEntry) =>
        File.ReadAllText($"{procEntry}/stat").Contains(") Z ", StringComparison.Ordinal);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);
}
