using System.Diagnostics;
using System.Globalization;

namespace Cloudtalk.AppHost.Backing.Local;

/// <summary>
/// One folder per AppHost run that holds every local server's data, config and sockets.
/// Every server process gets <see cref="MarkerVariable"/> pointing at it, so that the processes of a run
/// (and their children) can be found again by their environment, even after the AppHost was killed.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class LocalStateFolder
{
    public const string MarkerVariable = "CLOUDTALK_RUN_DIR";
    private const string OwnerFileName = "owner.pid";

    private LocalStateFolder(string root, string path)
    {
        Root = root;
        Path = path;
    }

    /// <summary>The parent of every run's folder.</summary>
    public string Root { get; }

    /// <summary>This run's folder.</summary>
    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    /// <summary>
    /// Creates this run's folder under <paramref name="root"/> (world-traversable, because PostgreSQL runs as its own user),
    /// after removing what earlier runs, whose AppHost is gone, left behind.
    /// </summary>
    public static LocalStateFolder Create(string root)
    {
        Directory.CreateDirectory(root);
        SetTraversable(root);
        RemoveAbandonedRuns(root);

        var path = System.IO.Path.Combine(root, $"{Environment.ProcessId}-{Guid.NewGuid():N}"[..24]);
        Directory.CreateDirectory(path);
        SetTraversable(path);
        File.WriteAllText(System.IO.Path.Combine(path, OwnerFileName), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        return new LocalStateFolder(root, path);
    }

    /// <summary>Stops every process of this run (gracefully first, then forcibly) and deletes the folder.</summary>
    public void Remove(TimeSpan grace) => RemoveRun(Path, grace);

    private static void RemoveAbandonedRuns(string root)
    {
        foreach (var run in Directory.EnumerateDirectories(root))
        {
            var ownerFile = System.IO.Path.Combine(run, OwnerFileName);
            if (File.Exists(ownerFile) &&
                int.TryParse(File.ReadAllText(ownerFile), NumberStyles.Integer, CultureInfo.InvariantCulture, out var owner) &&
                IsAlive(owner))
            {
                continue;
            }

            RemoveRun(run, TimeSpan.Zero);
        }
    }

    private static void RemoveRun(string run, TimeSpan grace)
    {
        RunProcesses.Signal(run, RunProcesses.Interrupt);
        var deadline = Stopwatch.StartNew();
        while (RunProcesses.Find(run).Count > 0 && deadline.Elapsed < grace)
        {
            Thread.Sleep(100);
        }

        // Whatever did not stop in time (or an abandoned run's survivors) is killed.
        while (RunProcesses.Find(run).Count > 0 && deadline.Elapsed < grace + TimeSpan.FromSeconds(10))
        {
            RunProcesses.Signal(run, RunProcesses.Kill);
            Thread.Sleep(100);
        }

        try
        {
            Directory.Delete(run, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    private static bool IsAlive(int pid) => Directory.Exists($"/proc/{pid}") &&
        !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal);

    private static void SetTraversable(string path) =>
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                                   UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
}
