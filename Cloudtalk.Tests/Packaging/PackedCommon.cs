using System.IO.Compression;
using System.Xml.Linq;
using Cloudtalk.Tests.Infrastructure;

namespace Cloudtalk.Tests.Packaging;

/// <summary>
/// Cloudtalk.Common packed once per test class, as a CI build would: from a copy of its sources committed to a
/// throw-away git repository with an <c>origin</c> remote (so Source Link has a commit and a URL to map to, and
/// the real repository's obj folder is left alone), with <c>CI=true</c>, and with a version suffix unique to this
/// run so that no NuGet cache can hand back another build of the package.
/// </summary>
public sealed class PackedCommon : IAsyncLifetime
{
    public const string RemoteUrl = "https://github.com/cloudtalk/cloudtalk.git";

    public string Root { get; } = Path.Combine(Path.GetTempPath(), $"cloudtalk-pack-{Guid.NewGuid():N}");

    public string VersionSuffix { get; } = $"test.{Guid.NewGuid():N}"[..21];

    public string Version => $"1.0.0-{VersionSuffix}";

    public string Sources => Path.Combine(Root, "src");

    public string PackageFolder => Path.Combine(Root, "packages");

    public string PackagePath => Path.Combine(PackageFolder, $"Cloudtalk.Common.{Version}.nupkg");

    public string SymbolPackagePath => Path.Combine(PackageFolder, $"Cloudtalk.Common.{Version}.snupkg");

    public string Commit { get; private set; } = string.Empty;

    public string PackOutput { get; private set; } = string.Empty;

    public async Task InitializeAsync()
    {
        CopySources();

        await Git("init", "--quiet");
        await Git("remote", "add", "origin", RemoteUrl);
        await Git("add", "--all");
        await Git("-c", "user.name=Cloudtalk tests", "-c", "user.email=tests@cloudtalk.invalid", "commit", "--quiet", "--message", "packaging test");
        Commit = (await Git("rev-parse", "HEAD")).Output.Trim();

        var pack = await ProcessRunner.RunAsync("dotnet",
            ["pack", "Cloudtalk.Common", "-c", "Release", "-o", PackageFolder, "--version-suffix", VersionSuffix,
             "--disable-build-servers", "-nodeReuse:false", "-p:UseSharedCompilation=false"],
            Sources,
            new Dictionary<string, string?> { ["CI"] = "true" });
        PackOutput = pack.EnsureSuccess("dotnet pack Cloudtalk.Common").Output;
    }

    public Task DisposeAsync()
    {
        Directory.Delete(Root, recursive: true);
        return Task.CompletedTask;
    }

    /// <summary>The package's .nuspec (its metadata element).</summary>
    public XElement Metadata()
    {
        using var package = ZipFile.OpenRead(PackagePath);
        var nuspec = Assert.Single(package.Entries, entry => entry.FullName == "Cloudtalk.Common.nuspec");
        using var stream = nuspec.Open();
        var document = XDocument.Load(stream);
        return document.Root!.Elements().Single(element => element.Name.LocalName == "metadata");
    }

    /// <summary>
    /// Only what a build of Cloudtalk.Common reads: the shared props, NuGet.config, its own folder, and .gitignore
    /// (Source Link embeds the sources git ignores, such as generated ones under obj/).
    /// </summary>
    private void CopySources()
    {
        Directory.CreateDirectory(Sources);
        foreach (var file in new[] { "Directory.Build.props", "Directory.Packages.props", "NuGet.config", "global.json", "LICENSE", ".gitignore" })
        {
            var from = RepositoryLayout.PathOf(file);
            if (File.Exists(from))
            {
                File.Copy(from, Path.Combine(Sources, file));
            }
        }

        var project = RepositoryLayout.PathOf("Cloudtalk.Common");
        foreach (var file in Directory.EnumerateFiles(project, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(project, file);
            var top = relative.Split(Path.DirectorySeparatorChar)[0];
            if (top is "bin" or "obj")
            {
                continue;
            }

            var to = Path.Combine(Sources, "Cloudtalk.Common", relative);
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }
    }

    private async Task<ProcessRunner.Result> Git(params string[] arguments) =>
        (await ProcessRunner.RunAsync("git", arguments, Sources)).EnsureSuccess($"git {string.Join(' ', arguments)}");
}
