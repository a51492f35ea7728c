using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Cloudtalk.Tests.Infrastructure;

namespace Cloudtalk.Tests.Deployment;

/// <summary>
/// What a deployment (azd up, or any tool reading the Aspire manifest) gets from the AppHost in publish mode:
/// resources, bindings, parameters, volumes, and no secret in clear.
/// </summary>
public sealed partial class DeploymentManifestTests(PublishedManifest manifest) : IClassFixture<PublishedManifest>
{
    private static readonly string[] BackingContainers = ["postgres", "messaging", "cache"];

    [Fact]
    public async Task Committed_manifest_is_what_the_publisher_generates_from_the_code()
    {
        Assert.True(File.Exists(PublishedManifest.CommittedPath),
            $"{PublishedManifest.CommittedPath} is missing; generate it with: {PublishedManifest.GenerateCommand}");
        var committed = JsonNode.Parse(await File.ReadAllTextAsync(PublishedManifest.CommittedPath))!.AsObject();

        var expected = PublishedManifest.WithAbsoluteProjectPaths(manifest.Fresh, manifest.FreshFolder);
        var actual = PublishedManifest.WithAbsoluteProjectPaths(committed, RepositoryLayout.Root);

        Assert.True(JsonNode.DeepEquals(expected, actual),
            "aspire-manifest.json is out of date with the AppHost; regenerate it at the repository root with:\n"
            + $"  {PublishedManifest.GenerateCommand}\n"
            + $"The publisher now generates:\n{expected.ToJsonString(new JsonSerializerOptions { WriteIndented = true })}");
    }

    [Fact]
    public async Task Committed_manifest_names_the_projects_by_paths_relative_to_the_repository()
    {
        var committed = JsonNode.Parse(await File.ReadAllTextAsync(PublishedManifest.CommittedPath))!.AsObject();
        var resources = committed["resources"]!.AsObject();

        Assert.Equal("Cloudtalk.Api/Cloudtalk.Api.csproj", (string)resources["api"]!["path"]!);
        Assert.Equal("Cloudtalk.Rating/Cloudtalk.Rating.csproj", (string)resources["rating"]!["path"]!);
        Assert.True(File.Exists(RepositoryLayout.PathOf("Cloudtalk.Api", "Cloudtalk.Api.csproj")));
        Assert.True(File.Exists(RepositoryLayout.PathOf("Cloudtalk.Rating", "Cloudtalk.Rating.csproj")));

        // Nothing of the machine that generated it leaks into the committed file.
        var text = await File.ReadAllTextAsync(PublishedManifest.CommittedPath);
        Assert.DoesNotContain(RepositoryLayout.Root, text, StringComparison.Ordinal);
        Assert.DoesNotContain(Path.GetTempPath(), text, StringComparison.Ordinal);
    }

    [Fact]
    public void Resources_are_the_backing_containers_the_two_projects_and_their_parameters()
    {
        Assert.Equal("project.v0", Type("api"));
        Assert.Equal("project.v0", Type("rating"));
        foreach (var container in BackingContainers)
        {
            Assert.Equal("container.v0", Type(container));
        }

        Assert.Equal("value.v0", Type("apidb"));
        Assert.Equal("value.v0", Type("ratingdb"));
        Assert.Equal("{postgres.connectionString};Database=cloudtalk_api", (string)manifest.Resource("apidb")["connectionString"]!);
        Assert.Equal("{postgres.connectionString};Database=cloudtalk_rating", (string)manifest.Resource("ratingdb")["connectionString"]!);

        foreach (var parameter in new[] { "postgres-username", "postgres-password", "messaging-username", "messaging-password", "cache-password" })
        {
            Assert.Equal("parameter.v0", Type(parameter));
        }

        Assert.StartsWith("docker.io/library/postgres:", (string)manifest.Resource("postgres")["image"]!, StringComparison.Ordinal);
        Assert.StartsWith("docker.io/library/rabbitmq:", (string)manifest.Resource("messaging")["image"]!, StringComparison.Ordinal);
        Assert.EndsWith("-management", (string)manifest.Resource("messaging")["image"]!, StringComparison.Ordinal);
        Assert.StartsWith("docker.io/library/redis:", (string)manifest.Resource("cache")["image"]!, StringComparison.Ordinal);

        // Only kinds a deployment tool understands; local-mode executables never reach the manifest.
        string[] deployable = ["project.v0", "container.v0", "value.v0", "parameter.v0", "annotated.string"];
        Assert.All(manifest.Resources, resource => Assert.Contains((string)resource.Value!["type"]!, deployable));
    }

    [Fact]
    public void Api_is_reachable_from_outside_and_Rating_only_inside_the_environment()
    {
        var api = Bindings("api");
        Assert.Equal("http,https", string.Join(',', api.Select(binding => binding.Key).Order(StringComparer.Ordinal)));
        foreach (var (name, binding) in api)
        {
            Assert.Equal(name, (string)binding!["scheme"]!);
            Assert.Equal("http", (string)binding["transport"]!);
            Assert.True((bool?)binding["external"] == true, $"api binding '{name}' is not external");
        }

        var rating = Bindings("rating");
        Assert.Contains("http", rating.Select(binding => binding.Key));
        Assert.All(rating, binding => Assert.False((bool?)binding.Value!["external"] == true, $"rating binding '{binding.Key}' is external"));

        // The services listen where the platform routes to.
        Assert.Equal("{api.bindings.http.targetPort}", (string)manifest.Resource("api")["env"]!["HTTP_PORTS"]!);
        Assert.Equal("{rating.bindings.http.targetPort}", (string)manifest.Resource("rating")["env"]!["HTTP_PORTS"]!);
        // Rating's rebuild reads the Api by service discovery (https+http://api).
        Assert.Equal("{api.bindings.http.url}", (string)manifest.Resource("rating")["env"]!["services__api__http__0"]!);
    }

    [Fact]
    public void Backing_services_listen_on_their_standard_ports_inside_the_environment_only()
    {
        AssertBinding("postgres", "tcp", "tcp", 5432);
        AssertBinding("messaging", "tcp", "tcp", 5672);
        AssertBinding("messaging", "management", "http", 15672);
        AssertBinding("cache", "tcp", "redis", 6379);

        foreach (var container in BackingContainers)
        {
            Assert.All(Bindings(container), binding => Assert.False((bool?)binding.Value!["external"] == true,
                $"{container} binding '{binding.Key}' is exposed outside the environment"));
        }
    }

    [Theory]
    [InlineData("postgres", "cloudtalk-postgres-data", "/var/lib/postgresql")]
    [InlineData("messaging", "cloudtalk-messaging-data", "/var/lib/rabbitmq")]
    [InlineData("cache", "cloudtalk-cache-data", "/data")]
    public void Backing_containers_keep_their_data_on_a_named_volume(string container, string volume, string target)
    {
        var volumes = manifest.Resource(container)["volumes"]?.AsArray();
        Assert.NotNull(volumes);
        var data = Assert.Single(volumes, v => (string)v!["name"]! == volume);
        Assert.Equal(target, (string)data!["target"]!);
        Assert.False((bool)data["readOnly"]!);
    }

    [Theory]
    [InlineData("postgres-password")]
    [InlineData("messaging-password")]
    [InlineData("cache-password")]
    public void Passwords_are_secret_parameters_generated_at_deployment(string name)
    {
        var input = manifest.Resource(name)["inputs"]!["value"]!;
        Assert.True((bool?)input["secret"] == true, $"{name} is not marked secret");
        var generate = input["default"]?["generate"];
        Assert.NotNull(generate);
        Assert.True((int)generate["minLength"]! >= 16, $"{name} is generated shorter than 16 characters");
        Assert.Null(input["default"]!["value"]);
        Assert.Equal($"{{{name}.inputs.value}}", (string)manifest.Resource(name)["value"]!);
    }

    [Theory]
    [InlineData("postgres-username")]
    [InlineData("messaging-username")]
    public void User_names_are_published_and_are_not_the_images_defaults(string name)
    {
        var input = manifest.Resource(name)["inputs"]!["value"]!;
        Assert.Equal("cloudtalk", (string?)input["default"]?["value"]);
        Assert.False((bool?)input["secret"] == true);
    }

    [Fact]
    public void Containers_take_their_credentials_from_the_parameters()
    {
        var postgres = manifest.Resource("postgres")["env"]!;
        Assert.Equal("{postgres-username.value}", (string)postgres["POSTGRES_USER"]!);
        Assert.Equal("{postgres-password.value}", (string)postgres["POSTGRES_PASSWORD"]!);
        Assert.Equal("scram-sha-256", (string)postgres["POSTGRES_HOST_AUTH_METHOD"]!);

        var messaging = manifest.Resource("messaging")["env"]!;
        Assert.Equal("{messaging-username.value}", (string)messaging["RABBITMQ_DEFAULT_USER"]!);
        Assert.Equal("{messaging-password.value}", (string)messaging["RABBITMQ_DEFAULT_PASS"]!);

        Assert.Equal("{cache-password.value}", (string)manifest.Resource("cache")["env"]!["REDIS_PASSWORD"]!);
        Assert.Contains("--requirepass $REDIS_PASSWORD", string.Join(' ', manifest.Resource("cache")["args"]!.AsArray().Select(a => (string)a!)), StringComparison.Ordinal);

        Assert.Contains("Password={postgres-password.value}", (string)manifest.Resource("postgres")["connectionString"]!, StringComparison.Ordinal);
        Assert.Contains("password={cache-password.value}", (string)manifest.Resource("cache")["connectionString"]!, StringComparison.Ordinal);
        Assert.StartsWith("amqp://{messaging-username-uri-encoded.value}:{messaging-password-uri-encoded.value}@",
            (string)manifest.Resource("messaging")["connectionString"]!, StringComparison.Ordinal);
    }

    [Fact]
    public void No_secret_is_written_in_clear_anywhere_in_the_manifest()
    {
        Assert.Empty(ManifestSecrets.FindClearTextSecrets(manifest.Fresh));

        // No well-known default credential appears as a value, anywhere.
        var strings = ManifestSecrets.Strings(manifest.Fresh).ToList();
        Assert.NotEmpty(strings);
        Assert.DoesNotContain(strings, s => s.Value.Contains("guest", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(strings, s => Regex.IsMatch(s.Value, @"(?i)(username|user id|user)\s*=\s*postgres\b"));
    }

    [Fact]
    public void Every_password_a_service_is_given_comes_from_a_secret_parameter()
    {
        var checkedCount = 0;
        foreach (var (resourceName, resource) in manifest.Resources)
        {
            if (resource!["env"] is not JsonObject env)
            {
                continue;
            }

            foreach (var (variable, value) in env)
            {
                if (!variable.Contains("PASSWORD", StringComparison.OrdinalIgnoreCase) && !variable.EndsWith("_PASS", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                var reference = PlaceholderName().Match((string)value!);
                Assert.True(reference.Success, $"{resourceName}.env.{variable} = {value} is not a reference");
                var parameter = manifest.Resource(reference.Groups["name"].Value);
                Assert.True((bool?)parameter["inputs"]?["value"]?["secret"] == true,
                    $"{resourceName}.env.{variable} comes from {reference.Groups["name"].Value}, which is not a secret parameter");
                checkedCount++;
            }
        }

        // postgres, messaging, cache themselves, and the api/rating views of their databases, broker and cache.
        Assert.True(checkedCount >= 8, $"only {checkedCount} password variables found; the manifest shape changed");
    }

    [Fact]
    public void The_secret_scanner_finds_literals_and_accepts_placeholders()
    {
        var planted = JsonNode.Parse("""
            {
              "resources": {
                "db": { "type": "container.v0", "env": { "DB_PASSWORD": "hunter2", "OK_PASSWORD": "{db-password.value}" },
                        "connectionString": "Host=db;Username=app;Password=hunter2" },
                "mq": { "type": "container.v0", "connectionString": "amqp://guest:guest@mq:5672" },
                "redis": { "type": "container.v0", "args": [ "-c", "redis-server --requirepass hunter2" ] },
                "fine": { "type": "container.v0", "args": [ "-c", "redis-server --requirepass $REDIS_PASSWORD" ],
                          "connectionString": "amqp://{u.value}:{p.value}@{mq.bindings.tcp.host}" }
              }
            }
            """)!;

        var findings = ManifestSecrets.FindClearTextSecrets(planted);

        Assert.Contains(findings, f => f.StartsWith("$.resources.db.env.DB_PASSWORD", StringComparison.Ordinal));
        Assert.Contains(findings, f => f.StartsWith("$.resources.db.connectionString", StringComparison.Ordinal));
        Assert.Contains(findings, f => f.StartsWith("$.resources.mq.connectionString", StringComparison.Ordinal));
        Assert.Contains(findings, f => f.StartsWith("$.resources.redis.args[1]", StringComparison.Ordinal));
        Assert.DoesNotContain(findings, f => f.Contains("OK_PASSWORD", StringComparison.Ordinal) || f.Contains(".fine.", StringComparison.Ordinal));
    }

    private string Type(string resource) => (string)manifest.Resource(resource)["type"]!;

    private JsonObject Bindings(string resource) =>
        manifest.Resource(resource)["bindings"]?.AsObject() ?? throw new Xunit.Sdk.XunitException($"{resource} has no bindings");

    private void AssertBinding(string resource, string binding, string scheme, int targetPort)
    {
        var found = Bindings(resource)[binding];
        Assert.NotNull(found);
        Assert.Equal(scheme, (string)found["scheme"]!);
        Assert.Equal(targetPort, (int)found["targetPort"]!);
    }

    /// <summary>A whole-value reference to a parameter: <c>{name.value}</c>.</summary>
    [GeneratedRegex(@"^\{(?<name>[a-z0-9-]+)\.value\}$")]
    private static partial Regex PlaceholderName();
}
