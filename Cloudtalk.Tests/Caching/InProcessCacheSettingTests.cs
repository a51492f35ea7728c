using Cloudtalk.Tests.Infrastructure;
using Cloudtalk.Tests.Rating;

namespace Cloudtalk.Tests.Caching;

/// <summary>
/// Caching:LocalTimeToLive (the in-process cache layer, off by default) as the running Api processes of a system
/// have it in their environment. They are found by their apidb connection string, which is the system's own.
/// </summary>
internal static class InProcessCacheSetting
{
    public static async Task<IReadOnlyList<string?>> OfApiProcessesAsync(CloudtalkApp app)
    {
        var apiDatabase = await app.GetConnectionStringAsync("apidb");
        var processes = ProcessTable.WithEnvironmentEntry($"ConnectionStrings__apidb={apiDatabase}")
            .Where(pid => ProcessTable.Name(pid) == "Cloudtalk.Api")
            .ToList();
        Assert.NotEmpty(processes);
        return [.. processes.Select(pid => EnvironmentOf(pid).GetValueOrDefault("Caching__LocalTimeToLive"))];
    }

    private static Dictionary<string, string> EnvironmentOf(int pid) =>
        File.ReadAllText($"/proc/{pid}/environ").Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(entry => entry.Split('=', 2))
            .Where(pair => pair.Length == 2)
            .GroupBy(pair => pair[0])
            .ToDictionary(group => group.Key, group => group.First()[1]);
}

/// <summary>One Api replica: every write goes through it and invalidates its layer synchronously, so the layer is on.</summary>
[Collection(CloudtalkCollection.Name)]
public sealed class SingleApiInProcessCacheTests(CloudtalkAppFixture fixture)
{
    [Fact]
    public async Task One_Api_replica_runs_with_the_in_process_layer()
    {
        var settings = await InProcessCacheSetting.OfApiProcessesAsync(fixture.App);
        Assert.Equal("00:00:01", Assert.Single(settings));
    }
}

/// <summary>
/// Several Api replicas: another replica would hear of a write only through pub/sub, a moment after the writer
/// answered, so the layer stays off (the Api's default) and a read after a write is exact on every replica.
/// </summary>
[Collection(ReplicatedRatingCollection.Name)]
public sealed class ReplicatedApiInProcessCacheTests(ReplicatedRatingFixture fixture)
{
    [Fact]
    public async Task Several_Api_replicas_run_without_the_in_process_layer()
    {
        var settings = await InProcessCacheSetting.OfApiProcessesAsync(fixture.App);
        Assert.Equal(ReplicatedRatingFixture.ApiReplicas, settings.Count);
        Assert.All(settings, Assert.Null);
    }
}
