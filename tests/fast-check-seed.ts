// Property and fuzz tests run the same cases on every run, so CI is repeatable: a fixed seed
// unless FC_SEED asks for another (explore locally with FC_SEED=$RANDOM; a failure prints the
// seed and path to replay it).
import fc from 'fast-check';

const seed = process.env.FC_SEED === undefined ? 20261203 : Number(process.env.FC_SEED);
fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });
