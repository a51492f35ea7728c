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
        Assert.NotEmpty(ProcessesOf(runFolders[0]));

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

        var next = await CloudtalkApp.StartAsync("--LocalBacking:StateRoot", app.StateRoot);
        try
        {
            Assert.False(Directory.Exists(abandoned), "the abandoned run folder survived a new start");
        }
        finally
        {
            await next.DisposeAsync();
        }
    }

    /// <summary>Processes whose environment marks them as belonging to the run folder.</summary>
    private static List<int> ProcessesOf(string runFolder)
    {
        var marker = $"CLOUDTALK_RUN_DIR={runFolder}\0";
        var found = new List<int>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out var pid))
            {
                continue;
            }

            try
            {
                var environment = File.ReadAllText(Path.Combine(entry, "environ"));
                var stat = File.ReadAllText(Path.Combine(entry, "stat"));
                if (environment.Contains(marker, StringComparison.Ordinal) && !stat.Contains(") Z ", StringComparison.Ordinal))
                {
                    found.Add(pid);
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
}
