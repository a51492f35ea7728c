using System.Text;

namespace Cloudtalk.Tests.Infrastructure;

/// <summary>
/// Processes as /proc shows them: found by an inherited environment entry, by working folder or as a process tree;
/// named; killed.
/// </summary>
/// <remarks>
/// /proc/PID/environ is the memory the process started with: programs that rewrite their title in place (redis-server,
/// PostgreSQL's child processes) overwrite it, so an environment marker does not find those.
/// </remarks>
internal static class ProcessTable
{
    /// <summary>The live (not zombie) processes whose environment has an entry starting with <paramref name="entryPrefix"/>.</summary>
    public static List<int> WithEnvironmentEntry(string entryPrefix)
    {
        var prefix = Encoding.UTF8.GetBytes(entryPrefix);
        var found = new List<int>();
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(folder), out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                var environment = File.ReadAllBytes(Path.Combine(folder, "environ"));
                if (HasEntryStartingWith(environment, prefix) && !IsZombie(pid))
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

    /// <summary>The live processes whose working folder is <paramref name="folder"/> or inside it.</summary>
    public static List<int> WorkingIn(string folder)
    {
        var inside = Path.TrimEndingDirectorySeparator(folder) + "/";
        var found = new List<int>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out var pid))
            {
                continue;
            }

            try
            {
                var workingFolder = new DirectoryInfo(Path.Combine(entry, "cwd")).LinkTarget;
                if (workingFolder is not null && (workingFolder + "/").StartsWith(inside, StringComparison.Ordinal) && !IsZombie(pid))
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

    /// <summary>
    /// The name the kernel keeps for the process (/proc/PID/comm, the program's file name as it was started, e.g.
    /// "beam.smp"); null once it is gone. Not the command line, which redis-server and PostgreSQL rewrite, nor the
    /// executable's target: Debian's redis-server is a link to redis-check-rdb.
    /// </summary>
    public static string? Name(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").TrimEnd('\n');
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The given processes and all their descendants that are alive now (by each process's parent in /proc/PID/stat).</summary>
    public static HashSet<int> WithDescendants(IEnumerable<int> roots)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(folder), out var pid))
            {
                continue;
            }

            try
            {
                // "PID (comm) STATE PPID ...": the name may hold spaces and parentheses, so read after the last ')'.
                var stat = File.ReadAllText(Path.Combine(folder, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields[0] != "Z")
                {
                    var parent = int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture);
                    (children.TryGetValue(parent, out var list) ? list : children[parent] = []).Add(pid);
                }
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile.
            }
        }

        var found = new HashSet<int>();
        var pending = new Queue<int>(roots);
        while (pending.TryDequeue(out var pid))
        {
            if (found.Add(pid))
            {
                foreach (var child in children.GetValueOrDefault(pid) ?? [])
                {
                    pending.Enqueue(child);
                }
            }
        }

        return found;
    }

    /// <summary>Sends SIGKILL to each process that is still there; one that is already gone is fine.</summary>
    public static void Kill(IEnumerable<int> pids)
    {
        foreach (var pid in pids)
        {
            try
            {
                using var process = System.Diagnostics.Process.GetProcessById(pid);
                process.Kill();
            }
            catch (Exception exception) when (exception is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Exited meanwhile.
            }
        }
    }

    /// <summary>Entries are NUL-separated: the prefix must begin an entry, not just occur inside one.</summary>
    private static bool HasEntryStartingWith(ReadOnlySpan<byte> environment, ReadOnlySpan<byte> prefix)
    {
        foreach (var entry in environment.Split((byte)0))
        {
            if (environment[entry].StartsWith(prefix))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsZombie(int pid) =>
        File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal);
}
