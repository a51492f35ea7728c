using System.Net;
using System.Net.Http.Json;
using Cloudtalk.Tests.Infrastructure;

namespace Cloudtalk.Tests.Foundation;

[Collection(CloudtalkCollection.Name)]
public sealed class HealthTests(CloudtalkAppFixture fixture)
{
    public static TheoryData<string, string[]> ServicesAndDependencies => new()
    {
        { "api", ["ApiDbContext", "StackExchange.Redis", "RabbitMQ.Client"] },
        { "rating", ["RatingDbContext", "RabbitMQ.Client"] },
    };

    [Theory]
    [MemberData(nameof(ServicesAndDependencies))]
    public async Task Health_reports_every_dependency_healthy(string service, string[] dependencies)
    {
        using var client = fixture.App.CreateClient(service);

        using var response = await client.GetAsync("/health");
        var report = await response.Content.ReadFromJsonAsync<HealthReport>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotNull(report);
        Assert.Equal("Healthy", report.Status);
        foreach (var dependency in dependencies)
        {
            Assert.True(report.Checks.TryGetValue(dependency, out var status), $"{service} does not check {dependency}");
            Assert.Equal("Healthy", status);
        }
    }

    [Theory]
    [InlineData("api")]
    [InlineData("rating")]
    public async Task Alive_answers_with_the_liveness_check_only(string service)
    {
        using var client = fixture.App.CreateClient(service);

        using var response = await client.GetAsync("/alive");
        var report = await response.Content.ReadFromJsonAsync<HealthReport>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["self"], report!.Checks.Keys);
    }

    private sealed record HealthReport(string Status, Dictionary<string, string> Checks);
}
