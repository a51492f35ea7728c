using Cloudtalk.Tests.Infrastructure;

namespace Cloudtalk.Tests.Deployment;

/// <summary>
/// <c>azure.yaml</c> at the repository root is what <c>azd up</c> reads: one service, the Aspire AppHost,
/// hosted on Azure Container Apps.
/// </summary>
public sealed class AzureYamlTests
{
    private static string AzureYamlPath => RepositoryLayout.PathOf("azure.yaml");

    [Fact]
    public async Task Azure_yaml_deploys_the_apphost_to_container_apps()
    {
        var yaml = SimpleYaml.Parse(await File.ReadAllTextAsync(AzureYamlPath));

        Assert.Equal("cloudtalk", yaml["name"]);
        var services = yaml.Keys.Where(key => key.StartsWith("services.", StringComparison.Ordinal))
            .Select(key => key.Split('.')[1]).Distinct().ToList();
        Assert.Equal("app", Assert.Single(services));
        Assert.Equal("dotnet", yaml["services.app.language"]);
        Assert.Equal("containerapp", yaml["services.app.host"]);
    }

    [Fact]
    public async Task Azure_yaml_points_at_the_existing_apphost_project()
    {
        var yaml = SimpleYaml.Parse(await File.ReadAllTextAsync(AzureYamlPath));
        var project = Path.GetFullPath(Path.Combine(RepositoryLayout.Root, yaml["services.app.project"]));

        Assert.True(File.Exists(project), $"azure.yaml names {project}, which does not exist");
        var appHostFolder = Projects.Cloudtalk_AppHost.ProjectPath;
        appHostFolder = File.Exists(appHostFolder) ? Path.GetDirectoryName(appHostFolder)! : appHostFolder;
        Assert.Equal(Path.GetFullPath(Path.Combine(appHostFolder, "Cloudtalk.AppHost.csproj")), project);

        // It is an Aspire AppHost: azd recognises one by its SDK and hosting package.
        var csproj = await File.ReadAllTextAsync(project);
        Assert.Contains("Aspire.AppHost.Sdk", csproj, StringComparison.Ordinal);
        Assert.Contains("Aspire.Hosting.AppHost", csproj, StringComparison.Ordinal);
    }

    [Fact]
    public void Simple_yaml_reader_reads_nested_keys_and_ignores_comments()
    {
        var yaml = SimpleYaml.Parse("""
            # comment
            name: demo # trailing
            services:
              web:
                project: "./Web/Web.csproj"
                host: containerapp
            """);

        Assert.Equal("demo", yaml["name"]);
        Assert.Equal("./Web/Web.csproj", yaml["services.web.project"]);
        Assert.Equal("containerapp", yaml["services.web.host"]);
        Assert.False(yaml.ContainsKey("services.web.language"));
    }
}

/// <summary>
/// Reads the block-mapping subset of YAML that azure.yaml uses into dotted keys (<c>services.app.host</c>).
/// Sequences, flow style and multi-line scalars are rejected rather than misread.
/// </summary>
internal static class SimpleYaml
{
    public static Dictionary<string, string> Parse(string text)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var path = new List<(int Indent, string Key)>();
        foreach (var rawLine in text.Split('\n'))
        {
            var line = StripComment(rawLine.TrimEnd('\r'));
            if (line.Trim().Length == 0)
            {
                continue;
            }

            var indent = line.Length - line.TrimStart(' ').Length;
            var content = line.Trim();
            if (content.StartsWith('-') || content.Contains('{', StringComparison.Ordinal) || content.EndsWith('|') || content.EndsWith('>'))
            {
                throw new FormatException($"Unsupported YAML: {rawLine}");
            }

            var colon = content.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw new FormatException($"Not a key: value line: {rawLine}");
            }

            path.RemoveAll(entry => entry.Indent >= indent);
            var key = content[..colon].Trim();
            var value = content[(colon + 1)..].Trim().Trim('"', '\'');
            var fullKey = string.Join('.', path.Select(entry => entry.Key).Append(key));
            if (value.Length == 0)
            {
                path.Add((indent, key));
            }
            else
            {
                values[fullKey] = value;
            }
        }

        return values;
    }

    private static string StripComment(string line)
    {
        var hash = line.IndexOf(" #", StringComparison.Ordinal);
        return line.TrimStart().StartsWith('#') ? string.Empty : hash >= 0 ? line[..hash] : line;
    }
}
