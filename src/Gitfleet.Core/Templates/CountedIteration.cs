using System.Collections;
using System.Diagnostics.CodeAnalysis;
using HandlebarsDotNet;
using HandlebarsDotNet.Compiler;
using HandlebarsDotNet.Iterators;
using HandlebarsDotNet.MemberAccessors;
using HandlebarsDotNet.ObjectDescriptors;
using HandlebarsDotNet.PathStructure;

namespace Gitfleet.Core.Templates;

/// <summary>
/// Makes every {{#each}} iteration a step of the render (<see cref="TemplateEngine.Step"/>), so nested loops that
/// write nothing are bounded too: collections get Handlebars' own descriptors (tried in its order), with their
/// iterator wrapped so each pass through the block is counted before it runs.
/// </summary>
internal sealed class CountedIteration : IObjectDescriptorProvider
{
    private readonly IObjectDescriptorProvider[] defaults =
    [
        new StringDictionaryObjectDescriptorProvider(),
        new ReadOnlyStringDictionaryObjectDescriptorProvider(),
        new GenericDictionaryObjectDescriptorProvider(),
        new ReadOnlyGenericDictionaryObjectDescriptorProvider(),
        new DictionaryObjectDescriptor(),
        new EnumerableObjectDescriptor(new ObjectDescriptorProvider(Array.Empty<IMemberAliasProvider>())),
    ];

    public bool TryGetDescriptor(Type type, [NotNullWhen(true)] out ObjectDescriptor? value)
    {
        value = null;
        if (type == typeof(string) || !typeof(IEnumerable).IsAssignableFrom(type))
        {
            return false;
        }

        foreach (var provider in defaults)
        {
            if (provider.TryGetDescriptor(type, out var descriptor) && descriptor.Iterator is { } iterator)
            {
                value = new ObjectDescriptor(descriptor.DescribedType, descriptor.MemberAccessor, descriptor.GetProperties, _ => new CountedIterator(iterator), descriptor.Dependencies);
                return true;
            }
        }

        return false;
    }

    private sealed class CountedIterator(IIterator inner) : IIterator
    {
        public void Iterate(
            in EncodedTextWriter writer,
            BindingContext context,
            ChainSegment[] blockParamsVariables,
            object input,
            TemplateDelegate template,
            TemplateDelegate ifEmpty) =>
            inner.Iterate(writer, context, blockParamsVariables, input, (EncodedTextWriter output, BindingContext frame) =>
            {
                TemplateEngine.Step();
                template(output, frame);
            }, ifEmpty);
    }
}
