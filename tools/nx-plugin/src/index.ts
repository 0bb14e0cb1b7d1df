export { domainGenerator, domainNames, DomainGeneratorError, type DomainGeneratorSchema, type DomainNames } from './generators/domain/generator';
