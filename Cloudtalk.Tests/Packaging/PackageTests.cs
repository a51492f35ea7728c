using System.IO.Compression;
using System.Reflection.Metadata;
using System.Security;
using System.Text;
using System.Xml.Linq;
using Cloudtalk.Tests.Infrastructure;

namespace Cloudtalk.Tests.Packaging;

/// <summary>
/// Cloudtalk.Common as a NuGet package: complete metadata, XML docs, a symbol package with Source Link, and a
/// consumer outside this repository that builds and runs against the packed package.
/// </summary>
public sealed class PackageTests(PackedCommon packed) : IClassFixture<PackedCommon>
{
    private static readonly Guid SourceLinkKind = new("CC110556-A091-4D38-9FEC-25AB9A351A6A");
    private static readonly Guid EmbeddedSourceKind = new("0E8A571B-6926-466E-B4AD-8AB04611F5FE");

    [Fact]
    public void Nuspec_has_id_version_description_authors_and_licence()
    {
        var metadata = packed.Metadata();

        Assert.Equal("Cloudtalk.Common", Value(metadata, "id"));
        Assert.Equal(packed.Version, Value(metadata, "version"));
        Assert.Equal("Cloudtalk contributors", Value(metadata, "authors"));
        Assert.Equal(ProjectProperty("Description"), Value(metadata, "description"));
        Assert.False(string.IsNullOrWhiteSpace(Value(metadata, "description")));

        var license = Element(metadata, "license");
        Assert.Equal("expression", (string?)license.Attribute("type"));
        Assert.Equal("MIT", license.Value);
        Assert.Contains("Copyright (c) Cloudtalk contributors", File.ReadAllText(RepositoryLayout.PathOf("LICENSE")), StringComparison.Ordinal);
        Assert.Contains("MIT License", File.ReadAllText(RepositoryLayout.PathOf("LICENSE")), StringComparison.Ordinal);

        Assert.Contains("Cloudtalk contributors", Value(metadata, "copyright"), StringComparison.Ordinal);
        var tags = Value(metadata, "tags").Split(' ');
        Assert.Contains("cloudtalk", tags);
        Assert.Contains("rabbitmq", tags);
    }

    [Fact]
    public void Nuspec_names_the_repository_and_the_commit_it_was_built_from()
    {
        var metadata = packed.Metadata();

        var repository = Element(metadata, "repository");
        Assert.Equal("git", (string?)repository.Attribute("type"));
        Assert.Equal("https://github.com/cloudtalk/cloudtalk", (string?)repository.Attribute("url"));
        Assert.Equal(packed.Commit, (string?)repository.Attribute("commit"));
        Assert.Equal("https://github.com/cloudtalk/cloudtalk", Value(metadata, "projectUrl"));
    }

    [Fact]
    public void Package_carries_the_readme_and_the_xml_documentation()
    {
        Assert.Equal("README.md", Value(packed.Metadata(), "readme"));

        using var package = ZipFile.OpenRead(packed.PackagePath);
        var entries = package.Entries.Select(entry => entry.FullName).ToList();
        Assert.Contains("lib/net10.0/Cloudtalk.Common.dll", entries);
        Assert.Contains("lib/net10.0/Cloudtalk.Common.xml", entries);
        Assert.Contains("README.md", entries);

        Assert.Equal(File.ReadAllText(RepositoryLayout.PathOf("Cloudtalk.Common", "README.md")), ReadEntry(package, "README.md"));

        var docs = XDocument.Parse(ReadEntry(package, "lib/net10.0/Cloudtalk.Common.xml"));
        var members = docs.Descendants("member").Select(member => (string?)member.Attribute("name")).ToList();
        Assert.Contains("T:Cloudtalk.Common.Messaging.EventNames", members);
        Assert.Contains("F:Cloudtalk.Common.Messaging.EventNames.ReviewCreated", members);
    }

    [Fact]
    public void Symbol_package_has_a_deterministic_pdb_with_source_link_to_the_commit()
    {
        Assert.True(File.Exists(packed.SymbolPackagePath), $"no {packed.SymbolPackagePath}; pack printed:\n{packed.PackOutput}");

        using var symbols = ZipFile.OpenRead(packed.SymbolPackagePath);
        var pdbEntry = Assert.Single(symbols.Entries, entry => entry.FullName == "lib/net10.0/Cloudtalk.Common.pdb");
        using var pdbStream = new MemoryStream();
        using (var entryStream = pdbEntry.Open())
        {
            entryStream.CopyTo(pdbStream);
        }

        pdbStream.Position = 0;
        using var provider = MetadataReaderProvider.FromPortablePdbStream(pdbStream);
        var pdb = provider.GetMetadataReader();

        var sourceLink = pdb.CustomDebugInformation
            .Select(pdb.GetCustomDebugInformation)
            .Where(info => pdb.GetGuid(info.Kind) == SourceLinkKind)
            .Select(info => Encoding.UTF8.GetString(pdb.GetBlobBytes(info.Value)))
            .SingleOrDefault();
        Assert.NotNull(sourceLink);
        Assert.Contains($"\"/_/*\":\"https://raw.githubusercontent.com/cloudtalk/cloudtalk/{packed.Commit}/*\"", sourceLink, StringComparison.Ordinal);

        // CI=true made the build deterministic: every document path is mapped to /_/, none is a path of the build machine.
        var documents = pdb.Documents.Select(handle => pdb.GetString(pdb.GetDocument(handle).Name)).ToList();
        Assert.Contains(documents, name => name.EndsWith("/Messaging/EventNames.cs", StringComparison.Ordinal));
        Assert.All(documents, name => Assert.StartsWith("/_/", name, StringComparison.Ordinal));

        // Sources git ignores (generated ones, under obj/) are embedded, since Source Link cannot fetch them.
        var embedded = pdb.CustomDebugInformation
            .Select(pdb.GetCustomDebugInformation)
            .Where(info => pdb.GetGuid(info.Kind) == EmbeddedSourceKind && info.Parent.Kind == HandleKind.Document)
            .Select(info => pdb.GetString(pdb.GetDocument((DocumentHandle)info.Parent).Name))
            .ToList();
        Assert.Contains(embedded, name => name.EndsWith("AssemblyInfo.cs", StringComparison.Ordinal));
        Assert.DoesNotContain(embedded, name => name.EndsWith("/Messaging/EventNames.cs", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_consumer_outside_the_repository_builds_and_runs_against_the_package()
    {
        var consumer = Path.Combine(packed.Root, "consumer");
        Directory.CreateDirectory(consumer);
        var globalPackages = Path.Combine(packed.Root, "global-packages");
        var userPackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

        // Its own NuGet.config: the packed package and nuget.org; a private global packages folder (so this run's
        // package never lands in the machine's cache), reading the machine's cache only as a fallback for others.
        await File.WriteAllTextAsync(Path.Combine(consumer, "NuGet.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config>
                <add key="globalPackagesFolder" value="{SecurityElement.Escape(globalPackages)}" />
              </config>
              <packageSources>
                <clear />
                <add key="cloudtalk-local" value="{SecurityElement.Escape(packed.PackageFolder)}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
              <fallbackPackageFolders>
                <clear />
                <add key="machine" value="{SecurityElement.Escape(userPackages)}" />
              </fallbackPackageFolders>
            </configuration>
            """);
        await File.WriteAllTextAsync(Path.Combine(consumer, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Cloudtalk.Common" Version="[{packed.Version}]" />
              </ItemGroup>
            </Project>
            """);
        await File.WriteAllTextAsync(Path.Combine(consumer, "Program.cs"), """
            using Cloudtalk.Common.Messaging;

            var assembly = typeof(EventNames).Assembly;
            Console.WriteLine($"{EventNames.ReviewCreated}|{assembly.GetName().Name}|{Path.GetDirectoryName(assembly.Location)}");
            """);

        var build = await ProcessRunner.RunAsync("dotnet",
            ["build", "-c", "Release", "--disable-build-servers", "-nodeReuse:false", "-p:UseSharedCompilation=false",
             "-p:ImportDirectoryBuildProps=false", "-p:ImportDirectoryBuildTargets=false", "-p:ImportDirectoryPackagesProps=false"],
            consumer);
        build.EnsureSuccess("dotnet build of the consumer");
        Assert.Contains("0 Warning(s)", build.Output, StringComparison.Ordinal);

        // The package came from this run's pack, into the private cache.
        Assert.True(Directory.Exists(Path.Combine(globalPackages, "cloudtalk.common", packed.Version)),
            $"Cloudtalk.Common {packed.Version} was not restored into {globalPackages}");

        var output = Path.Combine(consumer, "bin", "Release", "net10.0");
        var run = await ProcessRunner.RunAsync("dotnet", [Path.Combine(output, "Consumer.dll")], consumer);
        run.EnsureSuccess("the consumer");
        Assert.Equal($"review-created|Cloudtalk.Common|{output}", run.Output.Trim());
    }

    private static XElement Element(XElement metadata, string name) =>
        metadata.Elements().SingleOrDefault(element => element.Name.LocalName == name)
        ?? throw new Xunit.Sdk.XunitException($"The nuspec has no <{name}>.");

    private static string Value(XElement metadata, string name) => Element(metadata, name).Value;

    private static string ReadEntry(ZipArchive package, string name)
    {
        using var reader = new StreamReader(package.GetEntry(name)!.Open());
        return reader.ReadToEnd();
    }

    private static string ProjectProperty(string name)
    {
        var project = XDocument.Load(RepositoryLayout.PathOf("Cloudtalk.Common", "Cloudtalk.Common.csproj"));
        return project.Descendants(name).Single().Value;
    }
}
