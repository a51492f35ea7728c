using Cloudtalk.Tests.Infrastructure;

namespace Cloudtalk.Tests.Deployment;

/// <summary>The deployment and packaging docs show the commands the tests run, so the docs cannot drift from them.</summary>
public sealed class DeploymentDocsTests
{
    [Fact]
    public async Task Deploy_doc_shows_the_manifest_command_and_the_azd_flow()
    {
        var doc = await File.ReadAllTextAsync(RepositoryLayout.PathOf("docs", "deploy.md"));

        Assert.Contains(PublishedManifest.GenerateCommand, doc, StringComparison.Ordinal);
        Assert.Contains("azd up", doc, StringComparison.Ordinal);
        Assert.Contains("azd init", doc, StringComparison.Ordinal);
        Assert.Contains("project: ./Cloudtalk.AppHost/Cloudtalk.AppHost.csproj", doc, StringComparison.Ordinal);
        Assert.Contains("host: containerapp", doc, StringComparison.Ordinal);
        foreach (var managed in new[] { "Azure Database for PostgreSQL flexible server", "Azure Cache for Redis", "RabbitMQ" })
        {
            Assert.Contains(managed, doc, StringComparison.Ordinal);
        }

        // The doc's azure.yaml excerpt is the real one (comments aside).
        var azureYaml = SimpleYaml.Parse(await File.ReadAllTextAsync(RepositoryLayout.PathOf("azure.yaml")));
        Assert.Contains($"name: {azureYaml["name"]}", doc, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Packaging_doc_shows_the_pack_command()
    {
        var doc = await File.ReadAllTextAsync(RepositoryLayout.PathOf("docs", "packaging.md"));

        Assert.Contains("dotnet pack Cloudtalk.Common -c Release -o artifacts/packages", doc, StringComparison.Ordinal);
        Assert.Contains("Cloudtalk.Common.1.0.0.snupkg", doc, StringComparison.Ordinal);
    }

    [Fact]
    public void Pack_output_folder_is_ignored_by_git()
    {
        var ignored = File.ReadAllLines(RepositoryLayout.PathOf(".gitignore")).Select(line => line.Trim()).ToList();

        Assert.Contains("artifacts/", ignored);
        Assert.Contains(".azure/", ignored);
    }
}
