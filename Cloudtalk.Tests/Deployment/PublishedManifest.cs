using System.Text.Json.Nodes;
using Cloudtalk.Tests.Foundation;
using Cloudtalk.Tests.Infrastructure;

namespace Cloudtalk.Tests.Deployment;

/// <summary>
/// The manifest the publisher generates from the current code (once per test class), and the one committed at
/// the repository root as <c>aspire-manifest.json</c>.
/// </summary>
public sealed class PublishedManifest : IAsyncLifetime
{
    /// <summary>The documented command, run from the repository root (the output path is relative to the AppHost folder).</summary>
    public const string GenerateCommand =
        "dotnet run --project Cloudtalk.AppHost -- --publisher manifest --output-path ../aspire-manifest.json";

    public static string CommittedPath => RepositoryLayout.PathOf("aspire-manifest.json");

    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"cloudtalk-manifest-{Guid.NewGuid():N}");
    private JsonObject? _fresh;

    /// <summary>Freshly generated from the code under test.</summary>
    public JsonObject Fresh => _fresh ?? throw new InvalidOperationException("Not generated yet.");

    /// <summary>The folder the fresh manifest was written to (its project paths are relative to it).</summary>
    public string FreshFolder => _folder;

    public JsonObject Resources => Fresh["resources"]!.AsObject();

    public JsonObject Resource(string name) =>
        Resources[name]?.AsObject() ?? throw new Xunit.Sdk.XunitException($"The manifest has no resource '{name}'.");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_folder);
        _fresh = await ManifestTests.PublishManifestToAsync(Path.Combine(_folder, "aspire-manifest.json"));
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_folder, recursive: true);
        return Task.CompletedTask;
    }

    /// <summary>
    /// A copy of <paramref name="manifest"/> whose project paths (relative to the manifest's folder) are made
    /// absolute, so that manifests written to different folders compare equal when they describe the same projects.
    /// </summary>
    public static JsonObject WithAbsoluteProjectPaths(JsonObject manifest, string manifestFolder)
    {
        var copy = manifest.DeepClone().AsObject();
        foreach (var (_, resource) in copy["resources"]!.AsObject())
        {
            if (resource is JsonObject obj && obj["path"] is JsonValue path)
            {
                obj["path"] = Path.GetFullPath(Path.Combine(manifestFolder, (string)path!));
            }
        }

        return copy;
    }
}
