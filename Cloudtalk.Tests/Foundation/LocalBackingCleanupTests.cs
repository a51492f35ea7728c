using Cloudtalk.Tests.Infrastructure;

namespace Cloudtalk.Tests.Foundation;

/// <summary>Starts a system of its own, because the point is what is left after it stops.</summary>
public sealed class LocalBackingCleanupTests
{
    [Fact]
    public async Task Stopping_the_AppHost_leaves_no_server_process_and_no_data_folder()
    {
        var app = await CloudtalkApp.StartAsync();
        var runFolders = Directory.GetDirectories(app.StateRoot);
        Assert.Single(runFolders);
        var running = ProcessesOf(runFolders[0]).Select(ProcessTable.Name).ToList();
        // Every server is seen while it runs, so "none left" below is not a blind spot.
        foreach (var server in new[] { "postgres", "redis-server", "beam.smp", "epmd" })
        {
            Assert.Contains(server, running);
        }

        await app.DisposeAsync();

        Assert.Empty(ProcessesOf(runFolders[0]));
        Assert.False(Directory.Exists(runFolders[0]), $"{runFolders[0]} is still on disk");
    }

    [Fact]
    public async Task A_new_start_removes_what_a_killed_AppHost_left_behind()
    {
        // A run folder whose owner process is gone, as after a kill -9 of the AppHost.
        var app = await CloudtalkApp.StartAsync();
        var abandoned = Path.Combine(app.StateRoot, "999999-abandoned");
        Directory.CreateDirectory(Path.Combine(abandoned, "postgres"));
        await File.WriteAllTextAsync(Path.Combine(abandoned, "owner.pid"), "999999");
        await app.DisposeAsync();

        var next = await CloudtalkApp.StartInAsync(app.StateRoot);
        try
        {
            Assert.False(Directory.Exists(abandoned), "the abandoned run folder survived a new start");
        }
        finally
        {
            await next.DisposeAsync();
        }
    }

    /// <summary>
    /// The run's processes: those carrying its marker, those working in its folder (redis-server and PostgreSQL's
    /// backends overwrite their environment, so the marker alone misses them), and their children.
    /// </summary>
    private static List<int> ProcessesOf(string runFolder) =>
    [
        .. ProcessTable.WithDescendants([
            .. ProcessTable.WorkingIn(runFolder),
            .. ProcessTable.WithEnvironmentEntry($"CLOUDTALK_RUN_DIR={runFolder}")]),
    ];
}
