using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Cloudtalk.Tests.Foundation;

public sealed class ManifestTests
{
    [Fact]
    public async Task Manifest_declares_the_backing_services_as_containers_referenced_by_both_projects()
    {
        var manifest = await PublishManifestAsync();
        var resources = manifest["resources"]!.AsObject();

        Assert.StartsWith("container.", (string)resources["postgres"]!["type"]!, StringComparison.Ordinal);
        Assert.StartsWith("container.", (string)resources["messaging"]!["type"]!, StringComparison.Ordinal);
        Assert.StartsWith("container.", (string)resources["cache"]!["type"]!, StringComparison.Ordinal);
        Assert.Equal("value.v0", (string)resources["apidb"]!["type"]!);
        Assert.Equal("value.v0", (string)resources["ratingdb"]!["type"]!);

        var api = resources["api"]!["env"]!.AsObject();
        Assert.Equal("{apidb.connectionString}", (string)api["ConnectionStrings__apidb"]!);
        Assert.Equal("{cache.connectionString}", (string)api["ConnectionStrings__cache"]!);
        Assert.Equal("{messaging.connectionString}", (string)api["ConnectionStrings__messaging"]!);

        var rating = resources["rating"]!["env"]!.AsObject();
        Assert.Equal("{ratingdb.connectionString}", (string)rating["ConnectionStrings__ratingdb"]!);
        Assert.Equal("{messaging.connectionString}", (string)rating["ConnectionStrings__messaging"]!);

        // Local-mode executables never reach a deployment.
        Assert.DoesNotContain(resources, resource => resource.Value!["type"]!.ToString().StartsWith("executable", StringComparison.Ordinal));
    }

    /// <summary>Runs the real manifest publisher, as the README and a deployment do.</summary>
    internal static async Task<JsonObject> PublishManifestAsync(params string[] appHostArgs)
    {
        var output = Path.Combine(Path.GetTempPath(), $"cloudtalk-manifest-{Guid.NewGuid():N}.json");
        try
        {
            return await PublishManifestToAsync(output, appHostArgs);
        }
        finally
        {
            File.Delete(output);
        }
    }

    /// <summary>
    /// Runs the real manifest publisher and leaves the manifest at <paramref name="output"/> (an absolute path);
    /// the project paths in it are relative to that file's folder.
    /// </summary>
    internal static async Task<JsonObject> PublishManifestToAsync(string output, params string[] appHostArgs)
    {
        var (exitCode, log) = await RunPublisherAsync(output, appHostArgs);
        Assert.True(exitCode == 0, $"manifest publisher failed: {log}");
        return JsonNode.Parse(await File.ReadAllTextAsync(output))!.AsObject();
    }

    /// <summary>Runs the manifest publisher; its exit code and everything it printed.</summary>
    internal static async Task<(int ExitCode, string Log)> RunPublisherAsync(string output, params string[] appHostArgs)
    {
        var appHost = Path.GetDirectoryName(typeof(Projects.Cloudtalk_AppHost).Assembly.Location)!;
        var start = new ProcessStartInfo("dotnet",
            [Path.Combine(appHost, "Cloudtalk.AppHost.dll"), "--publisher", "manifest", "--output-path", output, .. appHostArgs])
        {
            WorkingDirectory = Projects.Cloudtalk_AppHost.ProjectPath,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
