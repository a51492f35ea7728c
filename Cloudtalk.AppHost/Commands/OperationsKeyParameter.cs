namespace Cloudtalk.AppHost.Commands;

/// <summary>
/// The key of the operators' endpoints (the rating check and rebuild, which read every product): a generated secret
/// parameter, given to both services as their <c>Operations:Key</c> and sent by the dashboard commands that call
/// those endpoints. A deployment generates its own (the manifest's <c>default.generate</c>).
/// </summary>
public static class OperationsKeyParameter
{
    public const string Name = "operations-key";

    public static IResourceBuilder<ParameterResource> AddOperationsKey(this IDistributedApplicationBuilder builder) =>
        builder.AddParameter(Name, new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true);

    public static IResourceBuilder<ProjectResource> WithOperationsKey(this IResourceBuilder<ProjectResource> service,
        IResourceBuilder<ParameterResource> operationsKey) =>
        service.WithEnvironment("Operations__Key", operationsKey);
}
